/**
 * Reads CloudFormation YAML templates with their short-form intrinsic function tags (`!Ref`, `!Sub`, `!GetAtt`, ...)
 * into the long JSON form (`{ "Ref": ... }`, `{ "Fn::Sub": ... }`), the form that CloudFormation itself works on.
 * The template tests and `npm run deploy` share this one schema, so what the tests check is what gets deployed.
 */
import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';

/** Every short-form tag CloudFormation accepts, with the long-form key it stands for. */
const INTRINSICS: ReadonlyArray<readonly [tag: string, key: string]> = [
  ['Ref', 'Ref'],
  ['Condition', 'Condition'],
  ...['Sub', 'GetAtt', 'Join', 'If', 'Equals', 'Not', 'Select', 'Split', 'FindInMap', 'ImportValue', 'And', 'Or', 'Base64', 'GetAZs', 'Cidr'].map(
    (name) => [name, `Fn::${name}`] as const,
  ),
];

/** `!GetAtt Res.Attr.Sub` is `Fn::GetAtt: [Res, Attr.Sub]`: the logical id ends at the first dot. */
function getAttFromScalar(text: string): string[] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)];
}

/**
 * The `yaml` custom tags for CloudFormation: each short form is accepted on a scalar, a sequence and a mapping,
 * as CloudFormation does (`!Sub 'x'`, `!Sub ['x', {..}]`, `!Base64 { Fn::Sub: .. }`).
 */
export const CFN_TAGS: Tags = INTRINSICS.flatMap(([name, key]) => [
  { tag: `!${name}`, resolve: (text: string) => ({ [key]: name === 'GetAtt' ? getAttFromScalar(text) : text }) },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) },
  { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) },
]);

/** A CloudFormation template in long form; only the sections foxops reads are typed. */
export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: Record<string, unknown>;
  Parameters?: Record<string, CfnParameter>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Condition?: string; Export?: { Name: unknown } }>;
}

/** One template parameter declaration. */
export interface CfnParameter {
  Type: string;
  Default?: string | number;
  Description?: string;
  AllowedValues?: Array<string | number>;
  AllowedPattern?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
}

/** One resource declaration. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}

/**
 * Parses template text (YAML with short-form tags, or JSON, which is YAML too) into long form.
 * Throws with the file name when the text is not a mapping with a `Resources` section.
 */
export function parseTemplate(text: string, source = 'template'): CfnTemplate {
  const doc: unknown = parse(text, { customTags: CFN_TAGS, prettyErrors: true });
  if (!doc || typeof doc !== 'object' || !('Resources' in doc)) {
    throw new Error(`${source}: not a CloudFormation template (no Resources section)`);
  }
  return doc as CfnTemplate;
}

/** Reads and parses a template file. */
export function loadTemplate(file: string): CfnTemplate {
  return parseTemplate(readFileSync(file, 'utf8'), file);
}
