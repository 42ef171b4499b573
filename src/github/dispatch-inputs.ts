/**
 * The `workflow_dispatch` inputs that foxops sends to a service's deploy workflow, in the order it sends them.
 *
 * The example workflow (examples/foxy-backend/.github/workflows/deploy.yml) declares exactly these inputs, and
 * test/unit/workflow.test.ts keeps the two in step: GitHub rejects a dispatch that carries an input the workflow
 * does not declare, so a drift here would break every deploy.
 * - `environment`: the foxops environment name, which is also the GitHub environment that guards the deploy job.
 * - `sha`: the exact commit to build and deploy (the dispatch `ref` is the requested branch or tag).
 * - `deploy_id`: foxops' id for the deploy; the workflow's `run-name` carries it so foxops can find the run.
 * - `requested_by`, `approved_by`: who asked and who approved, for the run's job summary and audit trail.
 */
export const DISPATCH_INPUT_NAMES = ['environment', 'sha', 'deploy_id', 'requested_by', 'approved_by'] as const;
