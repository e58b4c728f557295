/** The replicas' names and the default seed alone (no builders), for pages that list them without loading the forge. */
export const REPLICA_NAMES = ['det_10g', '2d106det', '1k3d68', 'genderage', 'w600k_r50'] as const;
/** A buffalo_l replica's name. */
export type ReplicaName = (typeof REPLICA_NAMES)[number];

/**
 * Replicas of models outside the buffalo_l pack, forged only when named (`--only`): inswapper_128 at full width
 * is 554 MB.
 */
export const EXTRA_REPLICA_NAMES = ['inswapper_128'] as const;
/** A replica outside buffalo_l. */
export type ExtraReplicaName = (typeof EXTRA_REPLICA_NAMES)[number];
/** Any name the forge can build. */
export type ForgeName = ReplicaName | ExtraReplicaName;

/** The seed `forge-models`, the cache and the benchmark page use unless told otherwise. */
export const DEFAULT_SEED = 20240601;
