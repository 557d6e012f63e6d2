// Requests to the services (all same-origin); a failure becomes a ServiceError whose message
// is shown to the user.
import { t } from './i18n.js';

export class ServiceError extends Error {}

export async function getJson(url, what, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new ServiceError(t('errNetwork', { what }));
  }
  if (!response.ok) {
    let detail = '';
    try {
      const body = await response.json();
      detail = body.detail || body.title || '';
    } catch {
      detail = response.statusText;
    }
    throw new ServiceError(t('errService', { what, status: response.status, detail }));
  }
  return response.json();
}

const PAGE = 500;

/** Every product of a collection (optionally in a bbox and date range), following pages. */
export async function searchProducts(config, collection, { bbox, start, end, limit } = {}) {
  const params = new URLSearchParams({ collection, count: String(PAGE) });
  if (bbox) params.set('bbox', bbox.map((v) => v.toFixed(6)).join(','));
  if (start) params.set('start', start);
  if (end) params.set('end', end);
  let url = `${config.endpoints.catalogue}?${params}`;
  const features = [];
  while (url) {
    const page = await getJson(url, t('catalogue'));
    features.push(...page.features);
    const next = page.properties?.links?.next?.[0]?.href;
    const done = !page.features.length || features.length >= page.totalResults
      || (limit && features.length >= limit);
    url = done ? null : next;
  }
  return features;
}

/** A collection's dates with data: [{date, cloud}], oldest first; cloud is the mean cloud
 * cover (%) of that date's products, or null when the catalogue does not know it. */
export async function collectionDates(config, collection) {
  const byDate = new Map();
  for (const feature of await searchProducts(config, collection)) {
    const date = feature.properties.date.slice(0, 10);
    const cloud = feature.properties.productInformation?.cloudCover;
    const entry = byDate.get(date) || { date, clouds: [] };
    if (typeof cloud === 'number') entry.clouds.push(cloud);
    byDate.set(date, entry);
  }
  return [...byDate.values()]
    .sort((a, b) => a.date.localeCompare(b.date))
    .map(({ date, clouds }) => ({
      date,
      cloud: clouds.length ? clouds.reduce((s, c) => s + c, 0) / clouds.length : null,
    }));
}

export async function pointSeries(config, layer, lon, lat, start, end) {
  const params = new URLSearchParams({
    lon: lon.toFixed(6), lat: lat.toFixed(6), startDate: start, endDate: end,
  });
  return getJson(`${config.endpoints.timeseries}/${layer}/point?${params}`, t('timeseries'));
}

export async function geometrySeries(config, layer, geometry, start, end) {
  const params = new URLSearchParams({ startDate: start, endDate: end });
  return getJson(`${config.endpoints.timeseries}/${layer}/geometry?${params}`, t('timeseries'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(geometry),
  });
}
