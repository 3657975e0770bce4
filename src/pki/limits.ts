/** The most days a leaf may live and still be accepted by every browser for a locally trusted root (Apple). */
export const MAX_LOCAL_LEAF_DAYS = 825;
export const DEFAULT_LEAF_DAYS = 397;
