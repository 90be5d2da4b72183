/** Where a run of a dataflow is, in Flowgate's terms (the Platform's `partialSuccess` is kept apart from success). */
export const FLOW_RUN_STATUSES = ['IN_PROGRESS', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED'] as const;
export type FlowRunStatus = (typeof FLOW_RUN_STATUSES)[number];

/** The Platform's run statuses (`scheduled`, `inProgress`, …) in Flowgate's terms; anything unknown is still running. */
export function flowRunStatusOf(platformStatus: string): FlowRunStatus {
  switch (platformStatus) {
    case 'success':
      return 'SUCCESS';
    case 'partialSuccess':
      return 'PARTIAL_SUCCESS';
    case 'failed':
      return 'FAILED';
    default:
      return 'IN_PROGRESS';
  }
}
