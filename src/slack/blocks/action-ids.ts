/** Action ids of the card's buttons; listeners and builders share them so neither can drift. */
export const ACTION_IDS = {
  approve: 'deploy_approve',
  reject: 'deploy_reject',
  retry: 'deploy_retry',
  /** On a running deploy's card: cancel its GitHub run (the requester and approvers, behind a confirm dialog). */
  cancel: 'deploy_cancel',
  /** In App Home: turn the direct message on failure off or on (its value is `off` or `on`, the choice the click makes). */
  homeFailureDm: 'home_failure_dm',
  /** On an alarm message: roll back the likely-cause deploy (its value is that deploy's id). */
  alarmRollback: 'alarm_rollback',
} as const;
