/**
 * Error code catalogue of Adobe Experience Platform Flow Service, as documented by Adobe in
 * "Flow Service error messages" (experienceleague.adobe.com/.../sources/errors/flow-service-errors)
 * and "Sources error messages" (.../sources/errors/sources-errors).
 *
 * Codes, HTTP statuses and titles follow Adobe's tables. The messages are our own short wording,
 * with `{name}` placeholders filled by `formatMessage`. The two catalogues reuse numbers with
 * different meanings (e.g. 1401, 1403, 1404, 1100–1104), so they are kept apart.
 *
 * The Flow Service body `type` is `https://ns.adobe.com/aep/errors/FLOW-<code>` (PLATFORM-API.md §11);
 * the `type` prefix for the sources catalogue is undocumented.
 */

/** One documented Flow Service / Sources error. `code` is `<number>-<httpStatus>` as in Adobe's catalogue. */
export interface CatalogueEntry {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly message: string;
  readonly catalogue: 'flow-service' | 'sources';
}

/** Adobe's "Flow Service error messages" catalogue. */
export const FLOW_SERVICE_ERRORS = {
  // Internal validation errors (Adobe: "Internal validation errors in Flow Service").
  /** Raised when the upstream flow provider rejects the call, e.g. not entitled. */
  providerInvalidRequest: { code: '1100-400', status: 400, title: 'Invalid request', message: 'The flow provider could not process the request: {reason}', catalogue: 'flow-service' },
  resourceNotFound: { code: '1101-404', status: 404, title: 'Resource not found', message: 'No resource with id {id} exists.', catalogue: 'flow-service' },
  providerInternalError: { code: '1102-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'flow-service' },
  serviceUnavailable: { code: '1103-503', status: 503, title: 'Service Unavailable', message: 'The service is unavailable right now. Retry the request, and contact support if it keeps failing.', catalogue: 'flow-service' },
  gatewayTimeout: { code: '1104-504', status: 504, title: 'Gateway Timeout', message: 'The gateway timed out. Retry the request, and contact support if it keeps failing.', catalogue: 'flow-service' },
  internalError: { code: '1400-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'flow-service' },
  limitWithCount: { code: '1401-400', status: 400, title: 'Invalid request', message: 'Use either limit or count in a request, not both.', catalogue: 'flow-service' },
  finalizeProviderOnly: { code: '1402-400', status: 400, title: 'Invalid request', message: 'Only provider requests can use the \'finalize\' action.', catalogue: 'flow-service' },
  ifMatchMissing: { code: '1403-400', status: 400, title: 'Header is missing', message: 'This request needs an If-Match header. Add it and send the request again.', catalogue: 'flow-service' },
  versionMismatch: { code: '1404-412', status: 412, title: 'Version not matching', message: 'The If-Match version {supplied} is not the current version {current} of this entity. Fetch the entity again and retry with its current etag.', catalogue: 'flow-service' },
  emptyRequestBody: { code: '1405-400', status: 400, title: 'Invalid request', message: 'The request body is missing or empty.', catalogue: 'flow-service' },
  progressSubOpNotAlone: { code: '1406-400', status: 400, title: 'Invalid request', message: 'The \'progress\' sub-operation has to be sent on its own, without other sub-operations.', catalogue: 'flow-service' },
  failedStatusWithProgress: { code: '1407-400', status: 400, title: 'Invalid request', message: 'Status \'{status}\' cannot be combined with the \'progress\' sub-operation; drop \'progress\' or send status \'inProgress\'.', catalogue: 'flow-service' },
  percentCompletedNot100: { code: '1408-400', status: 400, title: 'Invalid request', message: 'percentCompleted has to be 100 when the status is completed or failed.', catalogue: 'flow-service' },
  operationNotAllowedInState: { code: '1409-400', status: 400, title: 'Invalid request', message: 'Operation \'{operation}\' is not possible while the entity is in state {state}.', catalogue: 'flow-service' },
  stateNotAllowedOnCreate: { code: '1410-400', status: 400, title: 'Invalid request', message: 'A create flow request must not contain a state.', catalogue: 'flow-service' },
  entityIdUnresolvable: { code: '1411-400', status: 400, title: 'Invalid request', message: 'Could not find an entity id in the request path \'{path}\'.', catalogue: 'flow-service' },
  invalidMappingVersion: { code: '1412-400', status: 400, title: 'Invalid request', message: 'The mapping version in the request is not valid. Send an existing mapping version.', catalogue: 'flow-service' },
  invalidSpecId: { code: '1413-400', status: 400, title: 'Invalid request', message: 'Spec id {specId} is not valid. Send a valid spec id.', catalogue: 'flow-service' },
  connectionSpecImmutable: { code: '1414-400', status: 400, title: 'Invalid request', message: 'A connection\'s connection spec cannot be changed.', catalogue: 'flow-service' },
  authSpecNotFound: { code: '1415-400', status: 400, title: 'Invalid request', message: 'Connection spec {connectionSpecId} has no auth spec named \'{authSpecName}\'.', catalogue: 'flow-service' },
  connectionStateNotModifiable: { code: '1416-400', status: 400, title: 'Invalid request', message: 'A connection can only be updated or deleted while it is enabled, disabled or initializing.', catalogue: 'flow-service' },
  initializingConnectionUserToken: { code: '1417-400', status: 400, title: 'Invalid request', message: 'A user token cannot update or delete a connection that is still initializing.', catalogue: 'flow-service' },
  baseConnectionInUse: { code: '1418-400', status: 400, title: 'Invalid request', message: 'Base connection {id} is still used by one or more flows. Delete those flows before deleting the connection.', catalogue: 'flow-service' },
  mappingValidationFailed: { code: '1419-400', status: 400, title: 'Invalid request', message: 'Mapping {mappingId} (version {mappingVersion}) did not pass validation. Check the mapping and your permissions on the mapped fields.', catalogue: 'flow-service' },
  /** E.g. state 'disabling'. */
  stateNotUpdatable: { code: '1420-400', status: 400, title: 'Invalid request', message: 'An entity in state {state} cannot be updated.', catalogue: 'flow-service' },
  /** E.g. state 'updating'. */
  stateNotTransitionable: { code: '1421-400', status: 400, title: 'Invalid request', message: 'An entity in state {state} cannot move to another state.', catalogue: 'flow-service' },
  actionNotApplicable: { code: '1422-400', status: 400, title: 'Invalid request', message: 'Action \'{action}\' cannot be applied while the entity is in state {state}.', catalogue: 'flow-service' },
  unhandledSpecFilterField: { code: '1423-400', status: 400, title: 'Invalid request', message: 'Field \'{field}\' cannot be used to filter connection specs.', catalogue: 'flow-service' },
  orderByWithCrossSandbox: { code: '1424-400', status: 400, title: 'Invalid request', message: 'orderby cannot be used in a cross-sandbox query.', catalogue: 'flow-service' },
  mappingSchemaMismatch: { code: '1425-400', status: 400, title: 'Invalid request', message: 'The schema of target dataset {dataSetId} differs from the schema of mapping {mappingId}. Both must use the same schema id and version.', catalogue: 'flow-service' },
  userTokenCannotWriteConnectionSpec: { code: '1426-400', status: 400, title: 'Invalid request', message: 'A user token is not allowed to create or update connection specs.', catalogue: 'flow-service' },
  userTokenCannotWriteRuns: { code: '1427-400', status: 400, title: 'Invalid request', message: 'A user token is not allowed to create or update flow runs.', catalogue: 'flow-service' },
  predecessorRunNotFound: { code: '1428-400', status: 400, title: 'Invalid request', message: 'There is no predecessor flow run with id {id}.', catalogue: 'flow-service' },
  predecessorFlowNotFound: { code: '1429-400', status: 400, title: 'Invalid request', message: 'There is no predecessor flow with id {id}.', catalogue: 'flow-service' },
  flowNotFound: { code: '1430-400', status: 400, title: 'Invalid request', message: 'There is no flow with id {id}.', catalogue: 'flow-service' },
  emptyPolicyFields: { code: '1431-400', status: 400, title: 'Invalid request', message: 'A policy cannot have an empty \'fields\' array.', catalogue: 'flow-service' },
  invalidOrderBy: { code: '1432-400', status: 400, title: 'Invalid request', message: 'Invalid sort order. Prefix the field name with + for ascending or - for descending.', catalogue: 'flow-service' },
  invalidOrderByField: { code: '1433-400', status: 400, title: 'Invalid request', message: 'Field \'{field}\' cannot be used in orderby. Examples of valid values: name, +name, -name.', catalogue: 'flow-service' },
  unsupportedPatchOp: { code: '1434-400', status: 400, title: 'Invalid request', message: 'Patch operation \'{op}\' is not supported. Use add, replace or remove.', catalogue: 'flow-service' },
  unsupportedSubAction: { code: '1435-400', status: 400, title: 'Invalid request', message: 'Sub-action \'{subAction}\' is not supported.', catalogue: 'flow-service' },
  unsupportedSubOp: { code: '1436-400', status: 400, title: 'Invalid request', message: 'Sub-operation {subOp} is not supported for operation {op}.', catalogue: 'flow-service' },
  unsupportedStatus: { code: '1437-400', status: 400, title: 'Invalid request', message: 'Status value \'{status}\' is not supported.', catalogue: 'flow-service' },
  unsupportedAggregateOp: { code: '1438-400', status: 400, title: 'Invalid request', message: 'Aggregate operation \'{operation}\' is not supported.', catalogue: 'flow-service' },
  /** The error catalogue lists 400; Adobe's labels guide shows the same error answered as 404, see flowResourceNotFound. */
  flowResourceNotFoundAsCatalogued: { code: '1439-400', status: 400, title: 'Resource not found', message: 'Flows resource {id} was not found. Check the id and try again.', catalogue: 'flow-service' },
  /** As in Adobe's dataflow access-labels guide: `FLOW-1439-404`, e.g. a flow hidden by a label the caller lacks. */
  flowResourceNotFound: { code: '1439-404', status: 404, title: 'Resource not found', message: 'Flows resource {id} was not found. Check the id and try again.', catalogue: 'flow-service' },
  filterOperatorNotImplemented: { code: '1440-400', status: 400, title: 'Invalid request', message: 'Filter operator \'{operator}\' is not implemented.', catalogue: 'flow-service' },
  aggregateFunctionNotImplemented: { code: '1441-400', status: 400, title: 'Invalid request', message: 'Aggregate function \'{function}\' is not implemented.', catalogue: 'flow-service' },
  aggregationNotAllowedOnField: { code: '1442-400', status: 400, title: 'Invalid request', message: 'Field {field} cannot be aggregated.', catalogue: 'flow-service' },
  /** Only == accepts a comma-separated list. */
  operatorNotAllowedForMultipleValues: { code: '1443-400', status: 400, title: 'Invalid request', message: 'Operator \'{operator}\' cannot be used with a list of values.', catalogue: 'flow-service' },
  flowNotInExpectedState: { code: '1444-400', status: 400, title: 'Invalid request', message: 'Flow {id} is not in the expected state {state}.', catalogue: 'flow-service' },
  patchConnectionDisabled: { code: '1445-400', status: 400, title: 'Invalid request', message: 'Patching connections is not enabled.', catalogue: 'flow-service' },
  flowIdMissing: { code: '1446-400', status: 400, title: 'Invalid request', message: 'A flow id is required.', catalogue: 'flow-service' },
  activeFlowsReferenceId: { code: '1447-400', status: 400, title: 'Invalid request', message: 'Active flows still reference {id}.', catalogue: 'flow-service' },
  operatorNotSupportedForField: { code: '1448-400', status: 400, title: 'Invalid request', message: 'Operator {operator} cannot be used on field {field}.', catalogue: 'flow-service' },
  invalidFilterField: { code: '1449-400', status: 400, title: 'Invalid request', message: '\'{field}\' is not a field you can filter on.', catalogue: 'flow-service' },
  invalidFilterOperator: { code: '1450-400', status: 400, title: 'Invalid request', message: '\'{operator}\' is not a valid filter operator.', catalogue: 'flow-service' },
  invalidQueryParam: { code: '1451-400', status: 400, title: 'Invalid request', message: 'Query parameter \'{param}\' is not recognised.', catalogue: 'flow-service' },
  invalidFilterValue: { code: '1452-400', status: 400, title: 'Invalid request', message: '\'{value}\' is not a valid value for field {field}.', catalogue: 'flow-service' },
  /** E.g. a property filter with nothing after the operator: `createdAt==`. */
  invalidQueryValue: { code: '1453-400', status: 400, title: 'Invalid request', message: 'Query value \'{value}\' is not valid.', catalogue: 'flow-service' },
  unhandledFilterValueType: { code: '1454-400', status: 400, title: 'Invalid request', message: 'The type of the filter value is not supported.', catalogue: 'flow-service' },
  patchFieldMissing: { code: '1455-400', status: 400, title: 'Invalid request', message: 'The patch instructions are not valid: field "{field}" does not exist.', catalogue: 'flow-service' },
  invalidStateValue: { code: '1456-400', status: 400, title: 'Invalid request', message: '\'{state}\' is not a valid state. Valid states are enabled, disabled and initializing.', catalogue: 'flow-service' },
  updateWhileDeleteFinalizing: { code: '1457-400', status: 400, title: 'Invalid request', message: 'An entity in state delete-finalizing cannot be updated.', catalogue: 'flow-service' },
  deleteWhileDeleteFinalizing: { code: '1458-400', status: 400, title: 'Invalid request', message: 'An entity in state delete-finalizing cannot be deleted.', catalogue: 'flow-service' },

  // User-token verification and authorization errors (Adobe: "Verification errors of user token for authorization").
  tokenNoOrgAccess: { code: '2000-401', status: 401, title: 'Invalid authorization token', message: 'The access token cannot access this organization, or the organization does not exist.', catalogue: 'flow-service' },
  orgHeaderMissingOrEmpty: { code: '2001-401', status: 401, title: 'Header is missing or empty', message: 'The x-gw-ims-org-id header is missing or empty.', catalogue: 'flow-service' },
  orgHeaderMissing: { code: '2002-401', status: 401, title: 'Header is missing', message: 'The x-gw-ims-org-id header is missing.', catalogue: 'flow-service' },
  sandboxNotFound: { code: '2100-404', status: 404, title: 'Sandbox not found', message: 'There is no sandbox named \'{sandboxName}\'. Check the sandbox name.', catalogue: 'flow-service' },
  /** Same condition as 2100, reported by the Sandbox Management API. */
  sandboxNotFoundUpstream: { code: '2101-404', status: 404, title: 'Sandbox not found', message: 'There is no sandbox named \'{sandboxName}\' (reported by Sandbox Management).', catalogue: 'flow-service' },
  sandboxLookupFailed: { code: '2102-500', status: 500, title: 'Get sandbox by name error', message: 'Sandbox \'{sandboxName}\' could not be retrieved from Sandbox Management.', catalogue: 'flow-service' },
  sandboxIdNotFound: { code: '2103-404', status: 404, title: 'Sandbox not found', message: 'There is no sandbox with id {sandboxId} and name \'{sandboxName}\'.', catalogue: 'flow-service' },
  sandboxIdLookupFailed: { code: '2104-500', status: 500, title: 'Get sandbox by identifier error', message: 'Sandbox {sandboxId} (\'{sandboxName}\') could not be retrieved from Sandbox Management.', catalogue: 'flow-service' },
  sandboxHeaderMissing: { code: '2105-400', status: 400, title: 'Header is missing', message: 'The x-sandbox-name header is missing. Add it and send the request again.', catalogue: 'flow-service' },
  defaultSandboxNotFound: { code: '2106-404', status: 404, title: 'Get default sandbox error', message: 'No default sandbox was found.', catalogue: 'flow-service' },
  defaultSandboxLookupFailed: { code: '2107-500', status: 500, title: 'Get default sandbox error', message: 'The default sandbox could not be retrieved from Sandbox Management.', catalogue: 'flow-service' },
  activeSandboxesLookupFailed: { code: '2108-500', status: 500, title: 'Get active sandboxes error', message: 'The active sandboxes could not be retrieved from Sandbox Management.', catalogue: 'flow-service' },
  sandboxIdHeaderNotAllowed: { code: '2110-400', status: 400, title: 'Headers not allowed', message: 'The x-sandbox-id header cannot be used with a user token.', catalogue: 'flow-service' },
  wildcardSandboxRestricted: { code: '2111-403', status: 403, title: 'Headers with value restricted', message: 'A user token cannot use x-sandbox-name with the value *.', catalogue: 'flow-service' },
  crossSandboxHeadersMismatch: { code: '2112-400', status: 400, title: 'Headers with different value not allowed', message: 'A cross-sandbox query needs both x-sandbox-name and x-sandbox-id set to *.', catalogue: 'flow-service' },
  wildcardSandboxNotAllowed: { code: '2113-400', status: 400, title: 'Headers with value not allowed', message: 'This request cannot use x-sandbox-id and x-sandbox-name with the value *.', catalogue: 'flow-service' },
  emptyToken: { code: '2114-400', status: 400, title: 'Empty token', message: 'The access token is empty.', catalogue: 'flow-service' },
  invalidToken: { code: '2115-400', status: 400, title: 'Invalid token', message: 'The access token is not valid.', catalogue: 'flow-service' },
  tokenDecodingFailed: { code: '2116-500', status: 500, title: 'Internal Error', message: 'Something went wrong while decoding the access token to resolve its scopes.', catalogue: 'flow-service' },
  permissionCheckFailed: { code: '2117-500', status: 500, title: 'Internal Error', message: 'Something went wrong while checking the user\'s permissions. Retry the request, and contact support if it keeps failing.', catalogue: 'flow-service' },
  permissionMissing: { code: '2118-403', status: 403, title: 'Missing permission', message: 'You lack the \'{permission}\' permission. Ask your administrator for access.', catalogue: 'flow-service' },
  queryParamMissing: { code: '2119-400', status: 400, title: 'Query parameter missing', message: 'The required query parameter \'{param}\' is missing.', catalogue: 'flow-service' },
  forbidden: { code: '2120-403', status: 403, title: 'Forbidden', message: 'You are not allowed to perform this operation. Ask your administrator for access.', catalogue: 'flow-service' },
  permissionDenied: { code: '2121-403', status: 403, title: 'Forbidden', message: 'The \'{permission}\' permission on resource \'{resource}\' is denied to you. Ask your administrator for access.', catalogue: 'flow-service' },
  catalogCallFailed: { code: '2200-500', status: 500, title: 'External service request error', message: 'The call to Catalog to validate the schema failed.', catalogue: 'flow-service' },
  dataPrepCallFailed: { code: '2250-500', status: 500, title: 'External service request error', message: 'The call to Data Prep to validate the mapping failed.', catalogue: 'flow-service' },
} as const satisfies Record<string, CatalogueEntry>;

/** Adobe's "Sources error messages" catalogue. */
export const SOURCES_ERRORS = {
  // Generic errors.
  badRequest: { code: '1000-400', status: 400, title: 'Bad request', message: 'The request is not valid. Check it and try again.', catalogue: 'sources' },
  unauthorized: { code: '1001-401', status: 401, title: 'Unauthorized', message: 'You are not authorized. Ask your administrator for access to this resource.', catalogue: 'sources' },
  forbidden: { code: '1002-403', status: 403, title: 'Forbidden', message: 'This operation is not allowed. Check the request and try again.', catalogue: 'sources' },
  resourceNotFound: { code: '1003-404', status: 404, title: 'Resource not found', message: 'The requested resource does not exist.', catalogue: 'sources' },
  unsupportedMediaType: { code: '1004-415', status: 415, title: 'Unsupported Media Type', message: 'The payload format is not supported.', catalogue: 'sources' },
  internalError: { code: '1005-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  requestTimeout: { code: '1006-408', status: 408, title: 'Request Timeout', message: 'The request timed out. Retry it, and contact support if it keeps failing.', catalogue: 'sources' },
  invalidHeader: { code: '1007-400', status: 400, title: 'Invalid header parameter', message: 'Header \'{headerName}\' is not valid.', catalogue: 'sources' },
  tokenNoOrgAccess: { code: '1008-401', status: 401, title: 'Invalid authorization token', message: 'The access token cannot access this organization, or the organization does not exist.', catalogue: 'sources' },
  orgHeaderMissingOrEmpty: { code: '1009-403', status: 403, title: 'IMS org id is missing or empty', message: 'The organization id header is missing or empty.', catalogue: 'sources' },
  /** An internal templating failure. */
  invalidDetailedMessage: { code: '1010-500', status: 500, title: 'Invalid detailed-message', message: 'A parameter of the detailed message was not filled in.', catalogue: 'sources' },
  serviceUnavailable: { code: '1011-503', status: 503, title: 'Service Unavailable', message: 'The service is unavailable right now. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  gatewayTimeout: { code: '1012-504', status: 504, title: 'Gateway Timeout', message: 'The gateway timed out. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  preconditionFailed: { code: '1013-412', status: 412, title: 'Precondition Failed', message: 'The If-Unmodified-Since or If-None-Match condition was not met.', catalogue: 'sources' },
  illegalArgument: { code: '1014-400', status: 400, title: 'Bad Request Illegal Argument', message: 'The request could not be processed: {detailedMessage}', catalogue: 'sources' },

  // Framework errors.
  frameworkBadRequest: { code: '1100-400', status: 400, title: 'Bad Request', message: 'The request could not be processed: {detailedMessage}', catalogue: 'sources' },
  frameworkInternalError: { code: '1101-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  frameworkResourceNotFound: { code: '1102-404', status: 404, title: 'Resource not found', message: 'The requested resource does not exist: {detailedMessage}', catalogue: 'sources' },
  frameworkServiceUnavailable: { code: '1103-503', status: 503, title: 'Service Unavailable', message: 'The service is unavailable right now. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  frameworkGatewayTimeout: { code: '1104-504', status: 504, title: 'Gateway Timeout', message: 'The gateway timed out. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  frameworkUnauthorized: { code: '1105-401', status: 401, title: 'Unauthorized', message: 'You are not authorized: {detailedMessage}', catalogue: 'sources' },
  frameworkForbidden: { code: '1106-403', status: 403, title: 'Forbidden', message: 'This operation is not allowed: {detailedMessage}', catalogue: 'sources' },
  frameworkPreconditionFailed: { code: '1107-412', status: 412, title: 'Precondition Failed', message: 'The If-Unmodified-Since or If-None-Match condition was not met: {detailedMessage}', catalogue: 'sources' },

  // Encryption errors.
  encryptionInternalError: { code: '1200-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  encryptionFlowIdMissing: { code: '1201-400', status: 400, title: 'Bad Request', message: 'A flowId is required.', catalogue: 'sources' },
  publicKeyIdMissing: { code: '1202-400', status: 400, title: 'Bad Request', message: 'The flow\'s transformations {transformations} have no publicKeyId.', catalogue: 'sources' },
  encryptionKeyNotFound: { code: '1203-400', status: 400, title: 'Bad Request', message: 'No encryption key exists for keyID {keyID} used in the flow\'s transformations {transformations}.', catalogue: 'sources' },
  invalidEncryptionAlgorithm: { code: '1204-400', status: 400, title: 'Bad Request', message: 'The encryption algorithm is not valid.', catalogue: 'sources' },
  passphraseMissing: { code: '1205-400', status: 400, title: 'Bad Request', message: 'The params section has no passPhrase.', catalogue: 'sources' },

  // REST API errors.
  patchConnectionNotSupported: { code: '1300-400', status: 400, title: 'Bad Request', message: 'Connections of the {connectorType} connector cannot be patched.', catalogue: 'sources' },
  unsupportedAuthSpecType: { code: '1301-400', status: 400, title: 'Bad Request', message: 'Auth spec type \'{authSpecType}\' is not supported.', catalogue: 'sources' },
  unsupportedAuthType: { code: '1302-400', status: 400, title: 'Bad Request', message: 'Authentication type {authType} is not supported for connector {connectorType}.', catalogue: 'sources' },
  authParamsNotUrlEncodable: { code: '1303-400', status: 400, title: 'Bad Request', message: 'The URL cannot be built from the auth params: {value} cannot be URL-encoded.', catalogue: 'sources' },
  mandatoryFieldMissing: { code: '1304-400', status: 400, title: 'Bad Request', message: 'The required field {field} is missing.', catalogue: 'sources' },
  unsupportedConnectorType: { code: '1305-400', status: 400, title: 'Bad Request', message: 'Connector type {connectorType} does not support this operation.', catalogue: 'sources' },
  targetConnectionMissingForSpecCheck: { code: '1306-400', status: 400, title: 'Bad Request', message: 'No target connection was given, so its connection spec id cannot be checked.', catalogue: 'sources' },
  /** C604ff05-… is the data lake target connection spec. */
  invalidTargetSpec: { code: '1307-400', status: 400, title: 'Bad Request', message: 'Target connection spec id {targetConnectionSpecId} is not allowed; the only allowed value is c604ff05-7f1a-43c0-8e18-33bf874cb11c.', catalogue: 'sources' },
  /** Wraps an error from a Microsoft (Azure) dependency. */
  externalProviderError: { code: '1308-400', status: 400, title: 'Bad Request', message: 'The request could not be processed: {msftErrorMessage}', catalogue: 'sources' },
  encryptionParamMissing: { code: '1309-400', status: 400, title: 'Bad Request', message: 'The encryption transformation is missing the param {requiredParam}.', catalogue: 'sources' },
  publicKeyExpired: { code: '1310-400', status: 400, title: 'Bad Request', message: 'The publicKeyId in the params has expired.', catalogue: 'sources' },
  invalidPublicKeyId: { code: '1311-400', status: 400, title: 'Bad Request', message: 'The publicKeyId in the params is not valid.', catalogue: 'sources' },
  invalidParamValue: { code: '1312-400', status: 400, title: 'Bad Request', message: '\'{paramValue}\' is not a valid value for {requestParam}.', catalogue: 'sources' },
  pathAttributeNotFound: { code: '1313-400', status: 400, title: 'Bad Request', message: 'The path attribute {attribute} does not exist.', catalogue: 'sources' },
  complexPathNotAllowed: { code: '1314-400', status: 400, title: 'Bad Request', message: 'Complex paths are not allowed here.', catalogue: 'sources' },
  pathNotRecordArray: { code: '1315-400', status: 400, title: 'Bad Request', message: 'Path {path} has to point to an array of records.', catalogue: 'sources' },
  paginationParamsEmpty: { code: '1316-400', status: 400, title: 'Bad Request', message: 'The pagination params are empty.', catalogue: 'sources' },
  scheduleParamsEmpty: { code: '1317-400', status: 400, title: 'Bad Request', message: 'The schedule params are empty.', catalogue: 'sources' },
  /** Several validation failures reported together. */
  combinedValidationErrors: { code: '1318-400', status: 400, title: 'Bad Request', message: '{combinedMessage}. Check the request and try again.', catalogue: 'sources' },
  paramNotInParentCollection: { code: '1319-400', status: 400, title: 'Bad Request', message: '{param} has to be inside the parent collection.', catalogue: 'sources' },
  idMissing: { code: '1320-400', status: 400, title: 'Bad Request', message: '{idType} is required and cannot be empty.', catalogue: 'sources' },
  /** E.g. a flow with more than one source or target connection id. */
  idCountNotOne: { code: '1321-400', status: 400, title: 'Bad Request', message: 'Exactly one {idType} is expected, but {size} were given.', catalogue: 'sources' },
  sourceConnectionMissingForSchemaRef: { code: '1322-400', status: 400, title: 'Bad Request', message: 'No source connection was given, so the schema reference cannot be built.', catalogue: 'sources' },
  sourceConnectionEntityMissing: { code: '1323-400', status: 400, title: 'Bad Request', message: '{entity} is missing or empty in source connection {sourceConnection}.', catalogue: 'sources' },
  targetConnectionMissingForDataset: { code: '1324-400', status: 400, title: 'Bad Request', message: 'No target connection was given, so the dataset id cannot be read from it.', catalogue: 'sources' },
  dataSetIdMissing: { code: '1325-400', status: 400, title: 'Bad Request', message: 'The dataSetId param is missing or empty in target connection {targetConnection}.', catalogue: 'sources' },
  sourceConnectionMissingForFormat: { code: '1326-400', status: 400, title: 'Bad Request', message: 'No source connection was given, so the source data format cannot be read from it.', catalogue: 'sources' },
  unsupportedSourceFormat: { code: '1327-400', status: 400, title: 'Bad Request', message: 'Source data format \'{sourceFormat}\' is not supported. Allowed formats: {values}.', catalogue: 'sources' },
  mappingTransformationMissing: { code: '1328-400', status: 400, title: 'Bad Request', message: 'No mapping transformation was given, so {param} cannot be read from it.', catalogue: 'sources' },
  requestParamMissing: { code: '1329-400', status: 400, title: 'Bad Request', message: 'The param {param} is missing or empty.', catalogue: 'sources' },
  tableHasNoColumns: { code: '1330-400', status: 400, title: 'Bad Request', message: 'Table {tableName} has no columns.', catalogue: 'sources' },
  columnDelimiterTooLong: { code: '1331-400', status: 400, title: 'Bad Request', message: 'The column delimiter in source connection {sourceConnection} must be a single character.', catalogue: 'sources' },
  baseConnectionIdNotAllowed: { code: '1332-400', status: 400, title: 'Bad Request', message: 'Source connections for connection spec {connectionSpecId} cannot have a baseConnectionId.', catalogue: 'sources' },
  /** Adobe's table misspells this title 'Bad Reques'. */
  flowRunActionNotSupportedForSource: { code: '1333-400', status: 400, title: 'Bad Request', message: 'Flow run action {flowRunAction} is not supported for sources of spec {specId}.', catalogue: 'sources' },
  emptyQueryParam: { code: '1334-400', status: 400, title: 'Bad Request', message: 'Query parameter {param} cannot be empty.', catalogue: 'sources' },
  exploreFilterSerializationFailed: { code: '1335-400', status: 400, title: 'Bad Request', message: 'The explore filter params could not be serialized.', catalogue: 'sources' },
  exploreNotSupported: { code: '1336-400', status: 400, title: 'Bad Request', message: 'Connections of connection spec {connectionSpecId} cannot be explored.', catalogue: 'sources' },
  exploreParamEmptyForObjectType: { code: '1337-400', status: 400, title: 'Bad Request', message: '{queryParam} cannot be empty when objectType is {objectType}.', catalogue: 'sources' },
  /** ConnectionType is 'source' or 'target'. */
  connectionIdMissingInFlow: { code: '1338-400', status: 400, title: 'Bad Request', message: 'The flow request has no {connectionType} connection id.', catalogue: 'sources' },
  invalidOrgIdFormat: { code: '1339-400', status: 400, title: 'Bad Request', message: 'Organization id {imsOrg} is not in a valid format.', catalogue: 'sources' },
  invalidTimeFormat: { code: '1340-400', status: 400, title: 'Bad Request', message: '\'{time}\' could not be parsed as a time.', catalogue: 'sources' },
  /** Odi.json: dataset description used by Data Landing Zone style sources. */
  odiJsonEmpty: { code: '1341-400', status: 400, title: 'Bad Request', message: 'The odi.json document is empty.', catalogue: 'sources' },
  odiFolderDefinitionsMissing: { code: '1342-400', status: 400, title: 'Bad Request', message: 'The \'dls:folder\' section of odi.json has no definitions.', catalogue: 'sources' },
  odiEntityAndPartitionMissing: { code: '1343-400', status: 400, title: 'Bad Request', message: 'odi.json defines neither \'dls:entityReferences\' nor \'dls:partitionSpec\'.', catalogue: 'sources' },
  odiMultiplePartitionSpecs: { code: '1344-400', status: 400, title: 'Bad Request', message: 'odi.json defines more than one \'dls:partitionSpec\'.', catalogue: 'sources' },
  odiPartitionDefinitionsMissing: { code: '1345-400', status: 400, title: 'Bad Request', message: 'Some required parts of \'dls:partitionSpec\' (file format, its @type or CSV delimiters, partition template) are missing in odi.json.', catalogue: 'sources' },
  odiInvalidFileFormatType: { code: '1346-400', status: 400, title: 'Bad Request', message: 'The \'@type\' of \'dls:fileFormat\' in odi.json is not valid.', catalogue: 'sources' },
  odiUnsupportedCsvDelimiter: { code: '1347-400', status: 400, title: 'Bad Request', message: 'The \'dls:csvDelimiters\' in odi.json are not supported; only \',\' is.', catalogue: 'sources' },
  odiEntityReferencesUnreadable: { code: '1348-400', status: 400, title: 'Bad Request', message: '\'dls:entityReferences\' in odi.json could not be read.', catalogue: 'sources' },
  /** This and 1350–1357, 1377–1379, 1390 are about filtering at the source, not list filtering. */
  invalidFilterParams: { code: '1349-400', status: 400, title: 'Bad Request', message: 'The filter params are not valid.', catalogue: 'sources' },
  filterOperatorMissing: { code: '1350-400', status: 400, title: 'Bad Request', message: 'The source filter has no operator.', catalogue: 'sources' },
  filterOperatorNotSupported: { code: '1351-400', status: 400, title: 'Bad Request', message: 'This connector does not support filter operator {operator}.', catalogue: 'sources' },
  filterOperatorNotMappable: { code: '1352-400', status: 400, title: 'Bad Request', message: 'Filter operator {operator} has no native equivalent in {ql}.', catalogue: 'sources' },
  filterNotSupportedForConnector: { code: '1353-400', status: 400, title: 'Bad Request', message: 'The {connectorType} connector does not support filtering at the source.', catalogue: 'sources' },
  filterQueryLanguageNotSupported: { code: '1354-400', status: 400, title: 'Bad Request', message: 'Query language {ql} is not supported for filtering at the source.', catalogue: 'sources' },
  invalidFilterType: { code: '1355-400', status: 400, title: 'Bad Request', message: 'The filter type is not valid; only PQL is supported.', catalogue: 'sources' },
  invalidFilterFormat: { code: '1356-400', status: 400, title: 'Bad Request', message: 'The filter format is not valid; only pql/json is supported.', catalogue: 'sources' },
  filterDetailsMissing: { code: '1357-400', status: 400, title: 'Bad Request', message: 'The filter is not valid: its value needs detailed filters.', catalogue: 'sources' },
  invalidObjectType: { code: '1358-400', status: 400, title: 'Bad Request', message: 'The objectType param is not valid.', catalogue: 'sources' },
  paramMissing: { code: '1359-400', status: 400, title: 'Bad Request', message: 'The param {param} is missing.', catalogue: 'sources' },
  startTimeInPast: { code: '1360-400', status: 400, title: 'Bad Request', message: 'The start time cannot be in the past.', catalogue: 'sources' },
  intervalWithOnce: { code: '1361-400', status: 400, title: 'Bad Request', message: 'A one-time (frequency \'once\') flow cannot have an interval. Remove the interval or change the frequency.', catalogue: 'sources' },
  intervalBelowMinimum: { code: '1362-400', status: 400, title: 'Bad Request', message: 'The interval cannot be less than {minInterval}.', catalogue: 'sources' },
  intervalNotAllowed: { code: '1363-400', status: 400, title: 'Bad Request', message: 'Interval {interval} cannot be used with frequency {frequency}.', catalogue: 'sources' },
  backfillWithOnce: { code: '1364-400', status: 400, title: 'Bad Request', message: 'A one-time (frequency \'once\') flow cannot have a backfill flag.', catalogue: 'sources' },
  invalidPatchPath: { code: '1365-400', status: 400, title: 'Bad Request', message: 'The patch path {path} is not valid.', catalogue: 'sources' },
  startTimePassedUpdateRefused: { code: '1366-400', status: 400, title: 'Bad Request', message: 'The start time has already passed, so this update is no longer possible.', catalogue: 'sources' },
  deltaColumnRequired: { code: '1367-400', status: 400, title: 'Bad Request', message: 'A CRM connector flow needs a delta column in its copy transformation.', catalogue: 'sources' },
  modeNotAllowed: { code: '1368-400', status: 400, title: 'Bad Request', message: 'A flow request cannot contain a mode.', catalogue: 'sources' },
  deltaColumnWithOnce: { code: '1369-400', status: 400, title: 'Bad Request', message: 'A one-time (frequency \'once\') flow cannot have a delta column in its copy transformation.', catalogue: 'sources' },
  mappingTransformationRequired: { code: '1370-400', status: 400, title: 'Bad Request', message: 'The flow has no mapping transformation, so the source columns to ingest are unknown.', catalogue: 'sources' },
  filePropertiesDetectionUnsupportedForConnector: { code: '1371-400', status: 400, title: 'Bad Request', message: 'The {connectorType} connector cannot detect file properties; enter them yourself.', catalogue: 'sources' },
  exploreViaSpecNotAllowed: { code: '1372-400', status: 400, title: 'Bad Request', message: 'Connection spec {connectionSpecId} cannot be explored through the connection spec.', catalogue: 'sources' },
  flowSpecTypeMissing: { code: '1373-400', status: 400, title: 'Bad Request', message: 'The flowSpecType is missing.', catalogue: 'sources' },
  determinePropertiesConflict: { code: '1374-400', status: 400, title: 'Bad Request', message: 'The determineProperties flag cannot be combined with properties you supply yourself.', catalogue: 'sources' },
  filePropertiesDetectionFailed: { code: '1375-400', status: 400, title: 'Bad Request', message: 'File properties could not be detected; enter them yourself.', catalogue: 'sources' },
  filePropertiesDetectionUnsupportedForSpec: { code: '1376-400', status: 400, title: 'Bad Request', message: 'Connection spec {connectionSpecId} cannot detect file properties; enter them yourself.', catalogue: 'sources' },
  filterValueNull: { code: '1377-400', status: 400, title: 'Bad Request', message: 'The filter value is null, so it cannot be compared with operator {operator}.', catalogue: 'sources' },
  filterColumnInvalid: { code: '1378-400', status: 400, title: 'Bad Request', message: 'Column {column} is not a column of the table, so it cannot be used in a source filter.', catalogue: 'sources' },
  filterValueTypeMismatch: { code: '1379-400', status: 400, title: 'Bad Request', message: 'Filter value {value} is a string but the source column is {columnDataType}.', catalogue: 'sources' },
  flowRunCreationFailed: { code: '1380-400', status: 400, title: 'Bad Request', message: 'The flow run could not be created: {message}', catalogue: 'sources' },
  windowEndBeforeStart: { code: '1381-400', status: 400, title: 'Bad Request', message: 'The window end time {endTime} is before the window start time {startTime}.', catalogue: 'sources' },
  deltaColumnMismatch: { code: '1382-400', status: 400, title: 'Bad Request', message: 'The delta column does not match the one in the flow\'s copy transformation.', catalogue: 'sources' },
  flowRunDeltaColumnMissing: { code: '1383-400', status: 400, title: 'Bad Request', message: 'The flow run params have no delta column.', catalogue: 'sources' },
  flowRunParamsInvalid: { code: '1384-400', status: 400, title: 'Bad Request', message: 'The flow run params {params} are missing or not valid.', catalogue: 'sources' },
  flowRunConnectorNotSupported: { code: '1385-400', status: 400, title: 'Bad Request', message: 'Flow runs cannot be created for connector type {connectorType}.', catalogue: 'sources' },
  /** Ad-hoc runs are only for flows scheduled 'once'. */
  flowRunFrequencyNotSupported: { code: '1386-400', status: 400, title: 'Bad Request', message: 'Flow runs cannot be created for flow {flowId} because its frequency is {frequency}.', catalogue: 'sources' },
  runNotRetriggerable: { code: '1387-400', status: 400, title: 'Bad Request', message: 'Flow run {flowRunId} is in state {state} and cannot be re-triggered now.', catalogue: 'sources' },
  flowNotEnabledForRetrigger: { code: '1388-400', status: 400, title: 'Bad Request', message: 'Flow {flow} is in state {state}; only enabled flows can be re-triggered.', catalogue: 'sources' },
  /** E.g. explore `sourceParams`. */
  invalidBase64: { code: '1389-400', status: 400, title: 'Bad Request', message: 'The base64-encoded string could not be decoded.', catalogue: 'sources' },
  notOperatorMultipleComparisons: { code: '1390-400', status: 400, title: 'Bad Request', message: 'A \'not\' operator can only hold one comparison.', catalogue: 'sources' },
  schemaMetadataUnparseable: { code: '1391-400', status: 400, title: 'Bad Request', message: 'The schema metadata of source connection {sourceConnectionId} could not be parsed.', catalogue: 'sources' },
  transformationsUnparseable: { code: '1392-400', status: 400, title: 'Bad Request', message: 'The transformations of flow {flowId} could not be parsed.', catalogue: 'sources' },
  parameterEmpty: { code: '1393-400', status: 400, title: 'Bad Request', message: 'The parameter {parameter} is missing or empty.', catalogue: 'sources' },
  parameterBelowOne: { code: '1394-400', status: 400, title: 'Bad Request', message: 'The parameter {parameter} must be at least 1.', catalogue: 'sources' },
  flowSourceConnectionMissing: { code: '1395-400', status: 400, title: 'Bad Request', message: 'The flow has no source connection.', catalogue: 'sources' },
  matchingFormatNotFound: { code: '1396-400', status: 400, title: 'Bad Request', message: 'No matching format was found.', catalogue: 'sources' },
  invalidFrequency: { code: '1397-400', status: 400, title: 'Bad Request', message: '\'{frequency}\' is not a valid frequency.', catalogue: 'sources' },
  unsupportedOperation: { code: '1398-400', status: 400, title: 'Bad Request', message: 'Operation \'{action}\' is not supported.', catalogue: 'sources' },
  requestFileTypeNotFound: { code: '1399-400', status: 400, title: 'Bad Request', message: 'No valid requestFileType was found.', catalogue: 'sources' },
  invalidTemplateType: { code: '1400-400', status: 400, title: 'Bad Request', message: 'The templateType param is not valid.', catalogue: 'sources' },
  /** Not the Flow Service catalogue's 1401 (limit with count). */
  unsupportedFlowRunAction: { code: '1401-400', status: 400, title: 'Bad Request', message: 'Flow run action {flowRunAction} is not supported.', catalogue: 'sources' },
  restInternalError: { code: '1402-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  /** Not the Flow Service catalogue's 1403 (If-Match missing). */
  frequencyToOnceAfterStart: { code: '1403-400', status: 400, title: 'Bad Request', message: 'The start time has already passed, so the frequency can no longer be changed to \'once\'.', catalogue: 'sources' },
  /** Not the Flow Service catalogue's 1404 (version mismatch, 412). */
  backfillUpdateAfterStart: { code: '1404-400', status: 400, title: 'Bad Request', message: 'The start time has already passed, so backfill can no longer be changed.', catalogue: 'sources' },

  // Flow Service exceptions (1600–1699).
  flowServiceBadRequest: { code: '1600-400', status: 400, title: 'Bad Request', message: 'The request could not be processed: {detailedMessage}', catalogue: 'sources' },
  flowServiceInternalError: { code: '1601-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  flowServiceResourceNotFound: { code: '1602-404', status: 404, title: 'Resource not found', message: 'The requested resource does not exist: {detailedMessage}', catalogue: 'sources' },
  flowServiceUnavailable: { code: '1603-503', status: 503, title: 'Service Unavailable', message: 'The service is unavailable right now. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  flowServiceGatewayTimeout: { code: '1604-504', status: 504, title: 'Gateway Timeout', message: 'The gateway timed out. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  flowServiceUnauthorized: { code: '1605-401', status: 401, title: 'Unauthorized', message: 'You are not authorized: {detailedMessage}', catalogue: 'sources' },
  flowServiceForbidden: { code: '1606-403', status: 403, title: 'Forbidden', message: 'This operation is not allowed: {detailedMessage}', catalogue: 'sources' },
  flowServicePreconditionFailed: { code: '1607-412', status: 412, title: 'Precondition Failed', message: 'The If-Unmodified-Since or If-None-Match condition was not met: {detailedMessage}', catalogue: 'sources' },

  // Data Landing Zone errors.
  landingZoneInternalError: { code: '1700-500', status: 500, title: 'Internal Error', message: 'Something went wrong on our side. Retry the request, and contact support if it keeps failing.', catalogue: 'sources' },
  landingZoneInactive: { code: '1701-400', status: 400, title: 'Bad Request', message: 'The landing zone is not active. Activate it and try again.', catalogue: 'sources' },
  sasTypeNotAllowed: { code: '1702-400', status: 400, title: 'Bad Request', message: 'SAS type {sasType} cannot be used for this landing zone.', catalogue: 'sources' },
  credentialRefreshNotAllowed: { code: '1703-400', status: 400, title: 'Bad Request', message: 'Credentials cannot be refreshed.', catalogue: 'sources' },
  storageKeysMalformed: { code: '1704-400', status: 400, title: 'Bad Request', message: 'The keys returned for storage account {accountName} (subscription {subscriptionId}, resource group {resourceGroupName}) are malformed.', catalogue: 'sources' },
  unsupportedLandingZoneAction: { code: '1705-400', status: 400, title: 'Bad Request', message: 'This landing zone action is not supported.', catalogue: 'sources' },
  activationsConfigInvalid: { code: '1706-400', status: 400, title: 'Bad Request', message: 'The allowed-activations configuration of landing zone {landingZoneType} is wrong.', catalogue: 'sources' },
  landingZoneConfigMissing: { code: '1707-400', status: 400, title: 'Bad Request', message: 'The landing zone configuration is missing, so the service could not start.', catalogue: 'sources' },
  containerConfigMissing: { code: '1708-400', status: 400, title: 'Bad Request', message: 'Landing zone type {landingZoneType} has no container configuration.', catalogue: 'sources' },
  sasDetailsMissing: { code: '1709-400', status: 400, title: 'Bad Request', message: 'The SAS details for {tokenConfig} in landing zone type {landingZoneType} are missing.', catalogue: 'sources' },
  unsupportedLandingZoneType: { code: '1710-400', status: 400, title: 'Bad Request', message: 'Landing zone type {landingZoneUseCase} is not supported.', catalogue: 'sources' },
  sasDetailsNotFound: { code: '1711-400', status: 400, title: 'Bad Request', message: 'No SAS details were found for landing zone type {landingZoneUseCase}.', catalogue: 'sources' },
  landingZoneActionNotAllowed: { code: '1712-400', status: 400, title: 'Bad Request', message: 'Landing zone action {actionType} is not allowed.', catalogue: 'sources' },
  operationNotAllowedForToken: { code: '1713-400', status: 400, title: 'Bad Request', message: '{operationType} is not allowed with a {tokenType}.', catalogue: 'sources' },
  clientNotAllowed: { code: '1714-400', status: 400, title: 'Bad Request', message: 'Client {clientId} is not allowed to perform this operation.', catalogue: 'sources' },
} as const satisfies Record<string, CatalogueEntry>;

export type FlowServiceErrorKey = keyof typeof FLOW_SERVICE_ERRORS;
export type SourcesErrorKey = keyof typeof SOURCES_ERRORS;

/**
 * Fills `{name}` placeholders in the entry's message from `values`. Placeholders without a value
 * are left as they are, so a missing value is visible rather than silently dropped.
 */
export function formatMessage(entry: CatalogueEntry, values?: Record<string, string | number>): string {
  if (!values) return entry.message;
  return entry.message.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (placeholder: string, name: string) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : placeholder,
  );
}
