// lineage/: the tamper-evident audit log (RFC 6962), the lineage graph and its traces.
export { AuditLog, LOG_ORIGIN, RETENTION_DAYS, type AuditEntry, type AuditEvent, type AuditFilter, type Checkpoint, type VerifyReport } from './auditLog.ts';
export { EVENTS, payloadOf, type AuditEventOf, type AuditPayload, type AuditPayloads, type EventKind, type TypedKind } from './events.ts';
export { LineageGraph, renderTrace, type LineageNode, type TraceTree } from './graph.ts';
export { canonicalJson } from './canonical.ts';
export { loadOrCreateSigningKey, type SigningKey } from './domainKey.ts';
export { leafHash, rootOf, inclusionProof, consistencyProof, verifyInclusion, verifyConsistency } from './merkle.ts';
export { verifyEntryProof, type EntryProof } from './entryProof.ts';
export { runEvent, uuidFor, OpenLineageSink, PRODUCER, type JobLineageInfo } from './openlineage.ts';
export { signNote, openNote, verifierKey } from './signedNote.ts';
