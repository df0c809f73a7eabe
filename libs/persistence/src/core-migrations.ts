import { CoreTables1763700000000 } from './migrations/1763700000000-core-tables';
import { DocumentsStateText1763700005000 } from './migrations/1763700005000-documents-state-text';

/** The migrations of the tables every projection schema has, in order: an app lists these, then its own. */
export const CORE_MIGRATIONS = [CoreTables1763700000000, DocumentsStateText1763700005000] as const;
