/** Action ids of the card's buttons; listeners and builders share them so neither can drift. */
export const ACTION_IDS = {
  approve: 'deploy_approve',
  reject: 'deploy_reject',
  retry: 'deploy_retry',
  /** On an alarm message: roll back the likely-cause deploy (its value is that deploy's id). */
  alarmRollback: 'alarm_rollback',
} as const;
