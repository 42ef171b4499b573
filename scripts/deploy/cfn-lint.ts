/**
 * Checks a CloudFormation template against the CloudFormation resource specification shipped by
 * `@aws-cdk/aws-service-spec` (the registry schemas that the AWS CDK generates its L1 constructs from):
 * resource types, property names and nesting, required properties, allowed values, literal value kinds,
 * and the template's own wiring (Ref / GetAtt / Sub targets, conditions, DependsOn, unused parameters).
 * The point is to catch, on a laptop in milliseconds, the mistakes that CloudFormation would only report
 * halfway through a change set on a live stack.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CfnTemplate } from '../../src/aws/cfn-yaml.js';

/** A property type in the spec database. */
export type SpecType =
  | { type: 'string'; allowedValues?: string[] }
  | { type: 'number' | 'integer' | 'boolean' | 'json' | 'date-time' | 'tag' | 'null' }
  | { type: 'array' | 'map'; element: SpecType }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'union'; types: SpecType[] };

/** A property of a resource or of a nested property type. */
export interface SpecProperty {
  type: SpecType;
  required?: boolean;
}

/** The slice of the spec that the checks need: resources by CloudFormation type, nested types by id. */
export interface ResourceSpec {
  resources: Map<string, { properties: Record<string, SpecProperty>; attributes: Set<string> }>;
  types: Map<string, { name: string; properties: Record<string, SpecProperty> }>;
}

interface RawEntity {
  $id: string;
  name: string;
  cloudFormationType?: string;
  properties?: Record<string, SpecProperty>;
  attributes?: Record<string, unknown>;
}

let cached: ResourceSpec | undefined;

/**
 * Loads the resource specification from `@aws-cdk/aws-service-spec` (about 15 MB of JSON, gzipped).
 * Parsed once per process; `root` is where to resolve the package from (default: the working folder).
 */
export function loadResourceSpec(root = process.cwd()): ResourceSpec {
  if (cached) return cached;
  const require = createRequire(path.join(root, 'package.json'));
  let file: string;
  try {
    file = require.resolve('@aws-cdk/aws-service-spec/db.json.gz');
  } catch {
    throw new Error('the CloudFormation resource specification is not installed: run `npm ci` (it is the dev dependency @aws-cdk/aws-service-spec)');
  }
  const db = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    schema: { resource: { entities: Record<string, RawEntity> }; typeDefinition: { entities: Record<string, RawEntity> } };
  };
  const resources: ResourceSpec['resources'] = new Map();
  for (const entity of Object.values(db.schema.resource.entities)) {
    if (!entity.cloudFormationType) continue;
    resources.set(entity.cloudFormationType, { properties: entity.properties ?? {}, attributes: new Set(Object.keys(entity.attributes ?? {})) });
  }
  const types: ResourceSpec['types'] = new Map();
  for (const entity of Object.values(db.schema.typeDefinition.entities)) {
    types.set(entity.$id, { name: entity.name, properties: entity.properties ?? {} });
  }
  cached = { resources, types };
  return cached;
}

/** Pseudo parameters that `Ref` and `${}` may name without a declaration. */
export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const PARAMETER_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9:]+>|AWS::SSM::Parameter::Value<.+>)$/;
const TOP_LEVEL = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'Condition',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
]);

/** True for `{ Ref: .. }`, `{ "Fn::X": .. }` and `{ Condition: .. }`: a value CloudFormation computes. */
export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

/** The names a `Fn::Sub` string refers to: `${Name}` and `${Res.Attr}`, but not the escaped `${!Literal}`. */
export function subReferences(text: string): string[] {
  return [...text.matchAll(/\$\{([^}!][^}]*)\}/g)].map((m) => m[1]!.trim());
}

interface Context {
  spec: ResourceSpec;
  template: CfnTemplate;
  problems: string[];
  usedParameters: Set<string>;
  usedConditions: Set<string>;
}

/** Walks any value for intrinsic functions and checks what they point at. `locals` are `Fn::Sub` map variables. */
function checkIntrinsics(ctx: Context, value: unknown, where: string, locals: Set<string> = new Set()): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkIntrinsics(ctx, item, `${where}[${i}]`, locals);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  if (isIntrinsic(obj)) {
    const [fn, arg] = Object.entries(obj)[0]!;
    switch (fn) {
      case 'Ref':
        checkName(ctx, String(arg), where, locals, false);
        return;
      case 'Condition':
        checkCondition(ctx, String(arg), where);
        return;
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : getAttParts(String(arg));
        checkGetAtt(ctx, logicalId ?? '', attribute ?? '', where);
        return;
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1] as Record<string, unknown> | undefined] : [arg, undefined];
        const names = new Set(Object.keys(vars ?? {}));
        if (vars) checkIntrinsics(ctx, vars, `${where}.Fn::Sub`, locals);
        for (const ref of subReferences(String(text))) {
          if (names.has(ref)) continue;
          const dot = ref.indexOf('.');
          if (dot > 0 && !ref.startsWith('AWS::')) checkGetAtt(ctx, ref.slice(0, dot), ref.slice(dot + 1), where);
          else checkName(ctx, ref, where, locals, true);
        }
        return;
      }
      case 'Fn::If': {
        if (!Array.isArray(arg) || arg.length !== 3) ctx.problems.push(`${where}: Fn::If takes [condition, then, else]`);
        else {
          checkCondition(ctx, String(arg[0]), where);
          checkIntrinsics(ctx, arg.slice(1), where, locals);
        }
        return;
      }
      default:
        checkIntrinsics(ctx, arg, `${where}.${fn}`, locals);
        return;
    }
  }
  for (const [key, item] of Object.entries(obj)) checkIntrinsics(ctx, item, `${where}.${key}`, locals);
}

function getAttParts(text: string): string[] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text] : [text.slice(0, dot), text.slice(dot + 1)];
}

function checkName(ctx: Context, name: string, where: string, locals: Set<string>, inSub: boolean): void {
  if (locals.has(name) || PSEUDO_PARAMETERS.has(name)) {
    if (inSub && name === 'AWS::NoValue') ctx.problems.push(`${where}: \${AWS::NoValue} cannot be used in Fn::Sub`);
    return;
  }
  if (ctx.template.Parameters?.[name]) ctx.usedParameters.add(name);
  else if (!ctx.template.Resources[name]) ctx.problems.push(`${where}: refers to \`${name}\`, which is neither a parameter nor a resource`);
}

function checkCondition(ctx: Context, name: string, where: string): void {
  ctx.usedConditions.add(name);
  if (!ctx.template.Conditions?.[name]) ctx.problems.push(`${where}: condition \`${name}\` is not declared`);
}

function checkGetAtt(ctx: Context, logicalId: string, attribute: string, where: string): void {
  const resource = ctx.template.Resources[logicalId];
  if (!resource) {
    ctx.problems.push(`${where}: GetAtt on \`${logicalId}\`, which is not a resource`);
    return;
  }
  const spec = ctx.spec.resources.get(resource.Type);
  // Nested stack outputs (`Outputs.X`) and custom resources have free-form attributes.
  if (!spec || resource.Type === 'AWS::CloudFormation::Stack' || resource.Type.startsWith('Custom::')) return;
  if (!spec.attributes.has(attribute)) {
    ctx.problems.push(`${where}: ${resource.Type} has no attribute \`${attribute}\` (it has: ${[...spec.attributes].join(', ') || 'none'})`);
  }
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** Checks a literal value against a spec type; intrinsic values are checked for their references only. */
function checkValue(ctx: Context, value: unknown, type: SpecType, where: string): string[] {
  if (isIntrinsic(value)) {
    const [fn, arg] = Object.entries(value)[0]!;
    // Both branches of an If must fit the property; AWS::NoValue removes the property altogether.
    if (fn === 'Fn::If' && Array.isArray(arg) && arg.length === 3) {
      return [arg[1], arg[2]].flatMap((branch, i) =>
        isIntrinsic(branch) && (branch as { Ref?: unknown }).Ref === 'AWS::NoValue'
          ? []
          : checkValue(ctx, branch, type, `${where}(if ${i ? 'false' : 'true'})`),
      );
    }
    return [];
  }
  switch (type.type) {
    case 'string':
      if (typeof value === 'object' || value === undefined) return [`${where}: expected a string, got ${kindOf(value)}`];
      if (type.allowedValues?.length && !type.allowedValues.includes(String(value))) {
        return [`${where}: \`${String(value)}\` is not one of ${type.allowedValues.join(', ')}`];
      }
      return [];
    case 'number':
    case 'integer':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
        ? []
        : [`${where}: expected a number, got ${kindOf(value)}`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : [`${where}: expected true or false, got ${kindOf(value)}`];
    case 'date-time':
      return typeof value === 'string' ? [] : [`${where}: expected a date-time string`];
    case 'json':
      return typeof value === 'object' || typeof value === 'string' ? [] : [`${where}: expected a JSON document`];
    case 'null':
      return value === null ? [] : [`${where}: expected null`];
    case 'tag': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${where}: expected a tag { Key, Value }`];
      const keys = Object.keys(value);
      const extra = keys.filter((k) => k !== 'Key' && k !== 'Value');
      return [
        ...(keys.includes('Key') && keys.includes('Value') ? [] : [`${where}: a tag needs Key and Value`]),
        ...extra.map((k) => `${where}: a tag has no \`${k}\``),
      ];
    }
    case 'array':
      if (!Array.isArray(value)) return [`${where}: expected a list, got ${kindOf(value)}`];
      return value.flatMap((item, i) => checkValue(ctx, item, type.element, `${where}[${i}]`));
    case 'map':
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${where}: expected a mapping, got ${kindOf(value)}`];
      return Object.entries(value).flatMap(([k, item]) => checkValue(ctx, item, type.element, `${where}.${k}`));
    case 'ref': {
      const nested = ctx.spec.types.get(type.reference.$ref);
      if (!nested) return [];
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${where}: expected a ${nested.name} mapping, got ${kindOf(value)}`];
      return checkProperties(ctx, value as Record<string, unknown>, nested.properties, where, nested.name);
    }
    case 'union': {
      // The value fits if any member type accepts it; report the member that came closest.
      let best: string[] | undefined;
      for (const member of type.types) {
        const problems = checkValue(ctx, value, member, where);
        if (!problems.length) return [];
        if (!best || problems.length < best.length) best = problems;
      }
      return best ?? [];
    }
  }
}

function checkProperties(ctx: Context, props: Record<string, unknown>, spec: Record<string, SpecProperty>, where: string, typeName: string): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(props)) {
    const prop = spec[name];
    if (!prop) {
      const known = Object.keys(spec);
      problems.push(`${where}: ${typeName} has no property \`${name}\`${known.length ? ` (it has: ${known.join(', ')})` : ''}`);
      continue;
    }
    problems.push(...checkValue(ctx, value, prop.type, `${where}.${name}`));
  }
  for (const [name, prop] of Object.entries(spec)) {
    if (prop.required && !(name in props)) problems.push(`${where}: ${typeName} requires \`${name}\``);
  }
  return problems;
}

/**
 * Checks `template` against the resource specification and its own wiring. Returns one line per problem,
 * each starting with the path of the offending key; an empty list means the template is sound.
 */
export function lintTemplate(template: CfnTemplate, spec: ResourceSpec = loadResourceSpec()): string[] {
  const ctx: Context = { spec, template, problems: [], usedParameters: new Set(), usedConditions: new Set() };
  for (const key of Object.keys(template)) if (!TOP_LEVEL.has(key)) ctx.problems.push(`${key}: not a template section`);
  if (!template.Resources || !Object.keys(template.Resources).length) ctx.problems.push('Resources: a template needs at least one resource');

  for (const [name, param] of Object.entries(template.Parameters ?? {})) {
    if (!PARAMETER_TYPES.test(param.Type)) ctx.problems.push(`Parameters.${name}: \`${param.Type}\` is not a parameter type`);
    if (param.Default !== undefined && param.AllowedValues && !param.AllowedValues.map(String).includes(String(param.Default))) {
      ctx.problems.push(`Parameters.${name}: the default \`${param.Default}\` is not among its AllowedValues`);
    }
    if (
      param.Default !== undefined &&
      param.AllowedPattern &&
      param.Type === 'String' &&
      !new RegExp(`^(?:${param.AllowedPattern})$`).test(String(param.Default))
    ) {
      ctx.problems.push(`Parameters.${name}: the default \`${param.Default}\` does not match its AllowedPattern`);
    }
  }
  for (const [name, condition] of Object.entries(template.Conditions ?? {})) checkIntrinsics(ctx, condition, `Conditions.${name}`);

  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const where = `Resources.${logicalId}`;
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.has(key)) ctx.problems.push(`${where}: \`${key}\` is not a resource attribute`);
    if (resource.Condition) checkCondition(ctx, resource.Condition, `${where}.Condition`);
    for (const dep of [resource.DependsOn ?? []].flat()) {
      if (!template.Resources[dep]) ctx.problems.push(`${where}.DependsOn: \`${dep}\` is not a resource`);
    }
    checkIntrinsics(ctx, resource.Properties ?? {}, `${where}.Properties`);
    const spec = ctx.spec.resources.get(resource.Type);
    if (!spec) {
      if (!resource.Type?.startsWith('Custom::')) ctx.problems.push(`${where}: \`${resource.Type}\` is not a CloudFormation resource type`);
      continue;
    }
    ctx.problems.push(...checkProperties(ctx, resource.Properties ?? {}, spec.properties, `${where}.Properties`, resource.Type));
  }

  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition) checkCondition(ctx, output.Condition, `Outputs.${name}.Condition`);
    if (output.Value === undefined) ctx.problems.push(`Outputs.${name}: needs a Value`);
    checkIntrinsics(ctx, output, `Outputs.${name}`);
  }

  for (const name of Object.keys(template.Parameters ?? {})) {
    if (!ctx.usedParameters.has(name)) ctx.problems.push(`Parameters.${name}: declared but never used`);
  }
  for (const name of Object.keys(template.Conditions ?? {})) {
    if (!ctx.usedConditions.has(name)) ctx.problems.push(`Conditions.${name}: declared but never used`);
  }
  return ctx.problems;
}
