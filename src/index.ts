// The public library API. The CLI uses only what is exported here.
export { TlsdockError, isTlsdockError, type ErrorCode } from './errors.js';
export { initCA, showCA, exportCA, importCA, importMkcert, fingerprintSha256, type CASummary, type InitCAOptions, type ImportCAOptions } from './api/ca.js';
export { issue, type IssueOptions, type IssueResult } from './api/issue.js';
export { convert, type ConvertOptions, type ConvertResult, type ConvertTarget } from './api/convert.js';
export { parseName, parseNames, type CertName } from './pki/names.js';
export { KEY_TYPES, parseKeyType, type KeyType } from './pki/keys.js';
export { createRootCA, type CreateCAOptions } from './pki/ca.js';
export { issueLeaf, DEFAULT_LEAF_DAYS, MAX_LOCAL_LEAF_DAYS, type SigningCA, type IssueLeafOptions, type IssuedLeaf } from './pki/leaf.js';
export { defaultConstraints, isPermitted, type NameConstraints } from './pki/constraints.js';
export { parseMaterial, type Material } from './pki/material.js';
export { tlsdockHome } from './store/home.js';
export { loadCA, loadOrCreateCA, type StoredCA } from './store/ca-store.js';
export { inspect, type InspectOptions, type InspectResult, type InspectedFile } from './api/inspect.js';
export { check, type CheckOptions, type CheckResult } from './api/check.js';
export { loadTrustAnchors, chromiumNssDir, type TrustOptions } from './api/anchors.js';
export { FINDING_IDS, type DoctorReport, type Finding, type FindingId, type Severity, type ChromiumError, type BrowserVerdict } from './diagnose/findings.js';
export type { CertificateSummary } from './diagnose/doctor.js';
