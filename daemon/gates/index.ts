/** Gates: the grammar, where gates are declared, the named values of reports, and evaluation. */
export { parseGate, compare, GateSyntaxError } from './grammar';
export { parseGates, checkIdentifiers, evaluateGates, formatValue } from './evaluate';
export { gateSpecs, type GateKind, type GateSources } from './config';
export { namedValues, knownIdentifiers, describeIdentifiers, compareValues, compareIdentifiers, METRIC_ALIASES } from './values';
