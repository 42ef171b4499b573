/** What every table adapter writes items with: attribute values, and the one error a conditional write may end in. */
import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** An item of the table, attribute by attribute. */
export type Item = Record<string, AttributeValue>;

/** A string attribute. */
export const S = (value: string): AttributeValue => ({ S: value });

/** A number attribute. */
export const N = (value: number): AttributeValue => ({ N: String(value) });

/** True when a conditional write lost: the condition did not hold (by class, or by name across SDK copies). */
export const isConditionFailure = (err: unknown): boolean =>
  err instanceof ConditionalCheckFailedException || (err as Error)?.name === 'ConditionalCheckFailedException';
