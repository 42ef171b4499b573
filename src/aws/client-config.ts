/** AWS SDK client settings from an injectable env: endpoints for dynalite and fakes, region, test credentials. */
import type { Env } from '../config/load.js';

/** Settings for an SDK v3 client of `service` (`DYNAMODB`, `LAMBDA`, `SSM`, …). */
export function awsClientConfig(env: Env, service: string): { region: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // On Lambda the role's credentials come from the default provider chain; explicit ones are for local runs and tests.
  const credentials = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } : undefined;
  return { region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
}
