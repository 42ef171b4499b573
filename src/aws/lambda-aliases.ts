/**
 * The Lambda aliases of the deployed services over the SDK: where `live` points, whether a version still exists,
 * and the one conditional move a rollback makes. Each target names its own region; clients are made per region,
 * from the injected factory.
 */
import { GetAliasCommand, GetFunctionCommand, type LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { AliasError } from '../domain/errors.js';
import type { AliasState, AliasTarget, FunctionAliases } from '../domain/ports.js';

/** The SDK's error, as far as foxops reads it. */
type SdkError = { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };

function explain(err: unknown, action: string, resource: string, notFound: AliasError['code'] = 'not_found'): AliasError {
  const e = err as SdkError;
  const said = e?.message?.slice(0, 300);
  if (e?.name === 'ResourceNotFoundException') return new AliasError(notFound, action, resource, said);
  if (e?.name === 'PreconditionFailedException') return new AliasError('moved_meanwhile', action, resource, said);
  if (e?.name === 'AccessDeniedException' || e?.$metadata?.httpStatusCode === 403) return new AliasError('access_denied', action, resource, said);
  return new AliasError('unavailable', action, resource, said);
}

const arnOf = (t: AliasTarget, qualifier?: string) => `${t.functionName}${qualifier ? `:${qualifier}` : ''}${t.region ? ` (${t.region})` : ''}`;

/** {@link FunctionAliases} over `@aws-sdk/client-lambda`. */
export class LambdaFunctionAliases implements FunctionAliases {
  /** `clientFor`: the client of a region; the caller keeps one per region (`perRegion` in src/aws/client-config.ts). */
  constructor(private readonly clientFor: (region: string | undefined) => LambdaClient) {}

  private client(target: AliasTarget): LambdaClient {
    return this.clientFor(target.region);
  }

  /** {@inheritDoc FunctionAliases.get} */
  async get(target: AliasTarget): Promise<AliasState> {
    try {
      const out = await this.client(target).send(new GetAliasCommand({ FunctionName: target.functionName, Name: target.alias }));
      if (!out.FunctionVersion || !out.RevisionId)
        throw new AliasError('unavailable', 'lambda:GetAlias', arnOf(target, target.alias), 'no version in the answer');
      return { version: out.FunctionVersion, revisionId: out.RevisionId };
    } catch (err) {
      if (err instanceof AliasError) throw err;
      throw explain(err, 'lambda:GetAlias', arnOf(target, target.alias));
    }
  }

  /** {@inheritDoc FunctionAliases.versionExists} */
  async versionExists(target: AliasTarget, version: string): Promise<boolean> {
    try {
      await this.client(target).send(new GetFunctionCommand({ FunctionName: target.functionName, Qualifier: version }));
      return true;
    } catch (err) {
      if ((err as SdkError)?.name === 'ResourceNotFoundException') return false;
      throw explain(err, 'lambda:GetFunction', arnOf(target, version));
    }
  }

  /** {@inheritDoc FunctionAliases.move} */
  async move(target: AliasTarget, version: string, expected: AliasState): Promise<AliasState> {
    try {
      const out = await this.client(target).send(
        new UpdateAliasCommand({ FunctionName: target.functionName, Name: target.alias, FunctionVersion: version, RevisionId: expected.revisionId }),
      );
      return { version: out.FunctionVersion ?? version, revisionId: out.RevisionId ?? '' };
    } catch (err) {
      throw explain(err, 'lambda:UpdateAlias', arnOf(target, target.alias), 'version_not_found');
    }
  }
}
