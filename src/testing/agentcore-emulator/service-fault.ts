/** An error the service answers with: status, `x-amzn-errortype`, JSON body. */
export class ServiceFault extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** 404 ResourceNotFoundException. */
export function notFound(what: string): ServiceFault {
  return new ServiceFault(404, 'ResourceNotFoundException', what);
}

/** 400 ValidationException, naming the field when there is one. */
export function invalid(message: string, field?: string): ServiceFault {
  return new ServiceFault(400, 'ValidationException', message, {
    reason: 'FieldValidationFailed',
    ...(field === undefined ? {} : { fieldList: [{ name: field, message }] }),
  });
}
