/** Async self-invocation through the Lambda API. */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Invoker } from '../jobs/queues.js';

/** {@link Invoker} over `lambda:InvokeFunction` with `InvocationType: 'Event'`. */
export class LambdaInvoker implements Invoker {
  constructor(private readonly client: LambdaClient) {}

  /** {@inheritDoc Invoker.invokeAsync} */
  async invokeAsync(functionName: string, payload: string): Promise<void> {
    const result = await this.client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(payload) }));
    if (result.StatusCode !== 202) throw new Error(`async invoke of ${functionName} answered ${result.StatusCode}`);
  }
}
