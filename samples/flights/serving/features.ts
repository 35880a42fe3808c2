// Feature definitions for the flight-delay model — the SERVING path.
//
// The online service receives one raw request per flight and must hand the ONNX model exactly the
// features the training pipeline (../features.py) produced. One function per feature, named like
// the feature (the names are the model's input names); computeFeatures() assembles them.
//
// No dependencies: the lookup tables written by the training pipeline are bundled as JSON.

import routeStatsJson from '../route_stats.json';
import airportsJson from '../airports.json';

/** A raw prediction request as the booking service sends it. */
export interface RawFlight {
  flight_id: string;
  /** Local scheduled departure, ISO timestamp: "2001-04-03T14:25:00". */
  date: string;
  origin: string;
  destination: string;
  /** Miles. */
  distance: number;
}

export interface Features {
  dep_hour: number;
  day_of_week: string;
  distance: number;
  origin: string;
  destination: string;
  route_delay_rate: number;
  origin_hour_delay_rate: number;
}

export interface GroupCounts {
  n: number;
  delayed: number;
}

export interface RouteStats {
  prior_weight: number;
  global: GroupCounts;
  routes: Record<string, GroupCounts>;
  origin_hour: Record<string, GroupCounts>;
}

export interface Airports {
  origin: ReadonlySet<string>;
  destination: ReadonlySet<string>;
}

export interface Lookups {
  stats: RouteStats;
  airports: Airports;
}

export const FEATURE_NAMES: readonly (keyof Features)[] = [
  'dep_hour',
  'day_of_week',
  'distance',
  'origin',
  'destination',
  'route_delay_rate',
  'origin_hour_delay_rate',
];

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const OTHER = 'OTHER';

export const DEFAULT_LOOKUPS: Lookups = {
  stats: routeStatsJson as RouteStats,
  airports: {
    origin: new Set(airportsJson.origin),
    destination: new Set(airportsJson.destination),
  },
};

interface Departure {
  year: number;
  month: number;
  day: number;
  hour: number;
}

const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/;

function departure(raw: RawFlight): Departure {
  // Parsed by hand: `new Date(raw.date)` would apply the server's time zone to a local time.
  const m = ISO_LOCAL.exec(raw.date);
  if (!m) throw new Error(`flight ${raw.flight_id}: bad date ${JSON.stringify(raw.date)}`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]) };
}

function airport(code: string): string {
  return String(code).trim().toUpperCase();
}

/** Key of a group in the lookup tables. */
function lookupKey(...parts: (string | number)[]): string {
  return parts.join('|');
}

/** Delayed share of a group shrunk toward the global rate; unknown group -> global rate. */
function smoothedRate(counts: GroupCounts | undefined, stats: RouteStats): number {
  const globalRate = stats.global.delayed / stats.global.n;
  if (counts === undefined) return globalRate;
  const m = stats.prior_weight;
  return (counts.delayed + m * globalRate) / (counts.n + m);
}

// --- features -----------------------------------------------------------------------------------

/** Local departure hour, 0-23. */
export function dep_hour(raw: RawFlight): number {
  return departure(raw).hour;
}

/** Day of the week of the departure, "Mon".."Sun". */
export function day_of_week(raw: RawFlight): string {
  const d = departure(raw);
  const weekday = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return DAY_NAMES[weekday] as string;
}

/** Distance in miles. */
export function distance(raw: RawFlight): number {
  return Number(raw.distance);
}

/** Origin airport if among the training window's top-K origins, else OTHER. */
export function origin(raw: RawFlight, airports: Airports): string {
  const code = airport(raw.origin);
  return airports.origin.has(code) ? code : OTHER;
}

/** Destination airport if among the training window's top-K destinations, else OTHER. */
export function destination(raw: RawFlight, airports: Airports): string {
  const code = airport(raw.destination);
  return airports.destination.has(code) ? code : OTHER;
}

/** Smoothed historical delayed share of the origin→destination route. */
export function route_delay_rate(raw: RawFlight, stats: RouteStats): number {
  const key = lookupKey(airport(raw.origin), airport(raw.destination));
  return smoothedRate(stats.routes[key], stats);
}

/** Smoothed historical delayed share of departures from this airport in this hour. */
export function origin_hour_delay_rate(raw: RawFlight, stats: RouteStats): number {
  const key = lookupKey(airport(raw.origin), dep_hour(raw));
  return smoothedRate(stats.origin_hour[key], stats);
}

// --- assembly -----------------------------------------------------------------------------------

/** All model features for one raw request, keyed by feature name (= ONNX input name). */
export function computeFeatures(raw: RawFlight, lookups: Lookups = DEFAULT_LOOKUPS): Features {
  const { stats, airports } = lookups;
  return {
    dep_hour: dep_hour(raw),
    day_of_week: day_of_week(raw),
    distance: distance(raw),
    origin: origin(raw, airports),
    destination: destination(raw, airports),
    route_delay_rate: route_delay_rate(raw, stats),
    origin_hour_delay_rate: origin_hour_delay_rate(raw, stats),
  };
}
