/**
 * `npm run deploy -- --env staging|production [--yes] [--skip-build] [--config foxops.yml] [--region r] [--profile p]`
 *
 * The command-line face of scripts/deploy/deploy.ts: parses the flags, creates the AWS clients from the usual
 * AWS settings (AWS_PROFILE, AWS_REGION, SSO sessions; AWS_ENDPOINT_URL_<SERVICE> for endpoint overrides) and
 * wires the terminal. Exit codes: 0 deployed or declined, 1 a problem (the message says what to do), 2 bad flags.
 */
// First: it turns off the AWS SDK's Node version warning (Node < 22) before the clients below are built.
import '../src/aws/client-config.js';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { deploy, DeployError, ENVIRONMENTS, type DeployIo } from './deploy/deploy.js';

const USAGE = `Usage: npm run deploy -- --env ${ENVIRONMENTS.join('|')} [options]

Builds foxops, uploads the bundle, backs up the stack foxops-<env>, shows the CloudFormation change set,
executes it once you confirm, then publishes a Lambda version and moves the live alias to it.

Options:
  --env <env>        ${ENVIRONMENTS.join(' or ')} (required); parameters come from infra/foxops/<env>.json
  --yes, -y          execute the change set without asking
  --skip-build       package dist/lambda as it is instead of running npm run build
  --config <file>    services file to validate and ship (default foxops.yml)
  --region <region>  AWS region (default: AWS_REGION or your profile's region)
  --profile <name>   AWS profile (default: AWS_PROFILE)
  --help, -h         this text`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        env: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        'skip-build': { type: 'boolean', default: false },
        config: { type: 'string' },
        region: { type: 'string' },
        profile: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const flags = parseFlags();
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
// The SDK's default credential chain reads AWS_PROFILE when the clients are created.
if (flags.profile) process.env.AWS_PROFILE = flags.profile;

const region = flags.region ? { region: flags.region } : {};
const clients = {
  cloudFormation: new CloudFormationClient(region),
  // Path-style addressing when an endpoint override points at something that is not S3's own DNS.
  s3: new S3Client({ ...region, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL) }),
  lambda: new LambdaClient(region),
  ssm: new SSMClient(region),
};

const io: DeployIo = {
  print: (line) => console.log(line),
  async prompt(question) {
    if (!process.stdin.isTTY) {
      console.log(`${question}\n(no terminal to ask on: pass --yes to execute without asking)`);
      return '';
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  run: (command, args, options) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: 'inherit', shell: process.platform === 'win32' });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new DeployError(`\`${command} ${args.join(' ')}\` failed (exit ${code}); nothing was uploaded or changed.`)),
      );
    }),
};

try {
  const result = await deploy(
    {
      env: flags.env ?? '',
      yes: flags.yes,
      skipBuild: flags['skip-build'],
      rootDir: process.cwd(),
      configFile: flags.config ? path.resolve(flags.config) : undefined,
    },
    clients,
    io,
  );
  console.log(result.outcome === 'deployed' ? `\nfoxops ${flags.env} is live on version ${result.version}.` : '\nNothing was deployed.');
} catch (err) {
  if (err instanceof DeployError) console.error(`\n${err.message}`);
  else console.error(`\nDeploy failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
