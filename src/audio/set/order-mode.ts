/** How a set's tracks are put in order: by mixability along the energy arc (smart), or as queued. */
export const ORDER_MODES = ['smart', 'queue'] as const;
export type OrderMode = (typeof ORDER_MODES)[number];

export const isOrderMode = (value: unknown): value is OrderMode => ORDER_MODES.includes(value as OrderMode);
