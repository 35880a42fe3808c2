// SQL quoting lives in one place (daemon/analysis/sql.ts); these are the short names the store,
// CLI and findings code use.
export { quoteIdentifier as ident, quoteLiteral as literal } from '../analysis/sql';
