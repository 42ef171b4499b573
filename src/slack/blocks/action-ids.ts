/** Action ids of the card's buttons; listeners and builders share them so neither can drift. */
export const ACTION_IDS = {
  approve: 'deploy_approve',
  reject: 'deploy_reject',
  retry: 'deploy_retry',
} as const;
