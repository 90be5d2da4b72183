/** Why an operation failed (or is retrying), as stored on the operation and shown to clients. Never secrets. */
export interface OperationErrorInfo {
  code: string;
  message: string;
  field?: string | null;
  platformStatus?: number | null;
  platformCode?: string | null;
  retryable: boolean;
}
