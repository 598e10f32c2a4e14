export {
  BACKEND_CHECKS,
  type BackendCheckName,
  backendCheckNames,
  type CheckBackendOptions,
  checkBackend,
} from './check-backend.js';
export {
  type CheckImageSinkOptions,
  checkImageSink,
  IMAGE_SINK_CHECKS,
  type ImageSinkCheckName,
  imageSinkCheckNames,
} from './check-image-sink.js';
export type { ConformanceCheckResult, ConformanceReport } from './report.js';
