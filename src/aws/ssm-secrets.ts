/**
 * Secrets on Lambda: SecureString parameters under `FOXOPS_SSM_PREFIX`, read once at cold start
 * into the environment names foxops reads. They never appear in the function's configuration.
 */
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Env } from '../config/load.js';
import { awsClientConfig } from './client-config.js';

/** Parameter name (after the prefix) to environment variable. */
export const SSM_PARAMETERS: Record<string, string> = {
  'slack-bot-token': 'SLACK_BOT_TOKEN',
  'slack-signing-secret': 'SLACK_SIGNING_SECRET',
  'slack-bot-id': 'SLACK_BOT_ID',
  'slack-bot-user-id': 'SLACK_BOT_USER_ID',
  'github-token': 'GITHUB_TOKEN',
  'github-app-id': 'GITHUB_APP_ID',
  'github-private-key': 'GITHUB_PRIVATE_KEY',
  'github-installation-id': 'GITHUB_INSTALLATION_ID',
  'github-webhook-secret': 'GITHUB_WEBHOOK_SECRET',
};

/** Returns `env` with the secrets found under `prefix` filled in (values already set win). */
export async function loadSsmSecrets(env: Env, prefix: string, client: SSMClient = new SSMClient(awsClientConfig(env, 'SSM'))): Promise<Env> {
  const path = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const out: Env = { ...env };
  let next: string | undefined;
  do {
    const page = await client.send(new GetParametersByPathCommand({ Path: path, WithDecryption: true, NextToken: next }));
    for (const p of page.Parameters ?? []) {
      const key = SSM_PARAMETERS[(p.Name ?? '').slice(path.length)];
      if (key && p.Value && !out[key]) out[key] = p.Value;
    }
    next = page.NextToken;
  } while (next);
  return out;
}
