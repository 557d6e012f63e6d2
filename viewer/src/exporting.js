// Export: a PNG of the current view (legend, date, scale, attribution), the view as a GeoTIFF
// of physical values (WCS 2.0.1 GetCoverage), and a product search with download links.
import { getPointResolution } from 'ol/proj.js';

import { searchProducts, ServiceError } from './api.js';
import { cloudText } from './datepicker.js';
import { pick, t } from './i18n.js';
import { showMessage } from './messages.js';
import { download } from './timeseries.js';

const NICE = [1, 2, 5];

export function scaleBar(metresPerPixel, maxPixels = 120) {
  let best = { metres: 1, pixels: 1 / metresPerPixel };
  for (let power = 0; power < 8; power += 1) {
    for (const step of NICE) {
      const metres = step * 10 ** power;
      const pixels = metres / metresPerPixel;
      if (pixels <= maxPixels) best = { metres, pixels };
    }
  }
  return { ...best, label: best.metres >= 1000 ? `${best.metres / 1000} km` : `${best.metres} m` };
}

export function coverageUrl(config, layer, date, bbox) {
  const [west, south, east, north] = bbox.map((v) => v.toFixed(6));
  const params = new URLSearchParams({
    SERVICE: 'WCS', VERSION: '2.0.1', REQUEST: 'GetCoverage', COVERAGEID: layer,
    FORMAT: 'image/tiff', SUBSETTINGCRS: 'http://www.opengis.net/def/crs/EPSG/0/4326',
  });
  params.append('SUBSET', `Lat(${south},${north})`);
  params.append('SUBSET', `Long(${west},${east})`);
  params.append('SUBSET', `time("${date}")`);
  return `${config.endpoints.wcs}?${params}`;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = reject;
    image.src = url;
  });
}

async function viewPng(viewer) {
  const map = viewer.mapView.map;
  await new Promise((resolve) => { map.once('rendercomplete', resolve); map.renderSync(); });
  const view = viewer.mapView.snapshot();
  const layer = viewer.layer();
  let legend = null;
  try {
    legend = await loadImage(layer.legend[viewer.state.language] || layer.legend.en);
  } catch {
    showMessage(t('errLegend', { layer: pick(layer.title) }));
  }
  const footer = Math.max(86, legend ? legend.height + 16 : 0);
  const canvas = document.createElement('canvas');
  canvas.width = view.width;
  canvas.height = view.height + footer;
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(view, 0, 0);
  const top = view.height + 8;
  let left = 8;
  if (legend) { context.drawImage(legend, left, top); left += legend.width + 16; }
  context.fillStyle = '#111';
  context.textBaseline = 'top';
  context.font = 'bold 14px sans-serif';
  const dateText = viewer.state.compare
    ? `${pick(layer.title)} ${viewer.state.date} | ${pick(viewer.layer(viewer.state.layer2).title)} ${viewer.state.date2}`
    : `${pick(layer.title)} ${viewer.state.date}`;
  context.fillText(dateText, left, top);
  const viewState = map.getView();
  const metres = getPointResolution('EPSG:3857', viewState.getResolution(), viewState.getCenter(), 'm');
  const bar = scaleBar(metres);
  context.fillRect(left, top + 30, bar.pixels, 4);
  context.font = '12px sans-serif';
  context.fillText(bar.label, left + bar.pixels + 6, top + 25);
  context.fillText(layer.attribution ?? viewer.config.attribution, left, top + 44);
  const unit = layer.unit && layer.unit !== '1' ? layer.unit : t('unitless');
  context.fillText(`${t('unit')}: ${unit}`, left, top + 60);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

export function exportPanel(viewer, body) {
  body.innerHTML = `
    <h2 data-i18n="exportView"></h2>
    <div class="buttons"><button type="button" id="export-png" data-i18n="exportPng"></button>
      <button type="button" id="export-tiff" data-i18n="exportTiff"></button></div>
    <h2 data-i18n="productSearch"></h2>
    <div class="field range"><label><span data-i18n="from"></span> <input id="search-start" type="date"></label>
      <label><span data-i18n="to"></span> <input id="search-end" type="date"></label></div>
    <div class="buttons"><button type="button" id="search-run" data-i18n="searchInView"></button></div>
    <p id="search-status" aria-live="polite"></p>
    <ul id="search-results"></ul>`;
  body.querySelector('#export-png').addEventListener('click', async () => {
    const blob = await viewPng(viewer);
    if (blob) download(`${viewer.state.layer}_${viewer.state.date}.png`, blob);
    else showMessage(t('errPng'));
  });
  body.querySelector('#export-tiff').addEventListener('click', async () => {
    const layer = viewer.layer();
    if (!layer.wcs) { showMessage(t('errNoWcs'), 'info'); return; }
    const url = coverageUrl(viewer.config, layer.name, viewer.state.date, viewer.mapView.lonLatExtent());
    try {
      const response = await fetch(url);
      const type = response.headers.get('Content-Type') || '';
      if (!response.ok || !type.startsWith('image/tiff')) {
        const text = await response.text();
        const detail = (text.match(/<ows:ExceptionText>([^<]*)/) || [])[1] || response.statusText;
        throw new ServiceError(t('errService', { what: 'WCS', status: response.status, detail }));
      }
      download(`${layer.name}_${viewer.state.date}.tif`, await response.blob());
    } catch (error) {
      showMessage(error instanceof ServiceError ? error.message : t('errNetwork', { what: 'WCS' }));
    }
  });
  body.querySelector('#search-run').addEventListener('click', async () => {
    const layer = viewer.layer();
    const status = body.querySelector('#search-status');
    const list = body.querySelector('#search-results');
    const start = body.querySelector('#search-start').value;
    const end = body.querySelector('#search-end').value;
    try {
      const features = await searchProducts(viewer.config, layer.collection, {
        bbox: viewer.mapView.lonLatExtent(), start, end: end ? `${end}T23:59:59Z` : '', limit: 200,
      });
      status.textContent = t('searchFound', { n: features.length });
      list.replaceChildren(...features.map((feature) => {
        const item = document.createElement('li');
        const info = feature.properties;
        const title = document.createElement('span');
        title.textContent = `${info.title} · ${cloudText(info.productInformation?.cloudCover)}`;
        item.append(title);
        for (const link of info.links?.data || []) {
          const anchor = document.createElement('a');
          anchor.href = link.href;
          anchor.textContent = link.title || t('download');
          anchor.setAttribute('download', '');
          item.append(' ', anchor);
        }
        return item;
      }));
    } catch (error) {
      showMessage(error.message);
    }
  });
  viewer.onChange(async (what) => {
    if (what !== 'layer' && what !== 'start') return;
    const dates = await viewer.datesOf(viewer.state.layer).catch(() => []);
    if (!dates.length) return;
    body.querySelector('#search-start').value = dates[0].date;
    body.querySelector('#search-end').value = dates[dates.length - 1].date;
  });
}
