// Time series: click a point (or use the map centre) or draw a polygon; chart the layer's
// values over time from /timeseries (valid counts shown), CSV download, and a click on a
// chart point moves the map to that date.
import Draw from 'ol/interaction/Draw.js';
import VectorLayer from 'ol/layer/Vector.js';
import { toLonLat } from 'ol/proj.js';
import VectorSource from 'ol/source/Vector.js';
import uPlot from 'uplot';

import { geometrySeries, getJson, pointSeries } from './api.js';
import { pick, t } from './i18n.js';
import { showMessage } from './messages.js';

export function toCsv(layer, rows) {
  const lines = ['date,average,validCount,totalCount'];
  for (const row of rows) lines.push(`${row.date},${row.average ?? ''},${row.validCount},${row.totalCount}`);
  return `${lines.join('\n')}\n`;
}

export function download(name, blob) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function rowsOf(answer) {
  return answer.results.map(({ date, result }) => ({
    date,
    average: typeof result.average === 'number' ? result.average : null,
    validCount: result.validCount,
    totalCount: result.totalCount,
  }));
}

export function timeSeriesPanel(viewer, body) {
  body.innerHTML = `
    <fieldset><legend data-i18n="tsMode"></legend>
      <label><input type="radio" name="ts-mode" value="point" checked> <span data-i18n="tsPoint"></span></label>
      <label><input type="radio" name="ts-mode" value="polygon"> <span data-i18n="tsPolygon"></span></label>
    </fieldset>
    <div class="field range"><label><span data-i18n="from"></span> <input id="ts-start" type="date"></label>
      <label><span data-i18n="to"></span> <input id="ts-end" type="date"></label></div>
    <div class="buttons"><button type="button" id="ts-centre" data-i18n="tsCentre"></button>
      <button type="button" id="ts-csv" data-i18n="csv" disabled></button></div>
    <p class="hint" id="ts-where" data-i18n="tsHint"></p>
    <div id="ts-chart"></div>
    <table id="ts-table"><thead><tr><th data-i18n="date"></th><th data-i18n="value"></th>
      <th data-i18n="validCount"></th></tr></thead><tbody></tbody></table>`;
  const map = viewer.mapView.map;
  const drawn = new VectorSource();
  map.addLayer(new VectorLayer({ source: drawn, zIndex: 20 }));
  const draw = new Draw({ source: drawn, type: 'Polygon' });
  let rows = [];
  let plot = null;
  let request = 0;

  const mode = () => body.querySelector('input[name=ts-mode]:checked').value;
  const active = () => viewer.activeTab === 'timeseries';
  let served = null; // the time series service's layer names, asked once

  async function checkLayer() {
    served ??= getJson(viewer.config.endpoints.timeseries, t('timeseries'))
      .then((answer) => new Set(answer.layers.map((layer) => layer.name)))
      .catch((error) => { showMessage(error.message); return null; });
    const names = await served;
    const missing = names && !names.has(viewer.state.layer);
    body.querySelector('#ts-where').textContent = missing
      ? t('tsNone', { layer: pick(viewer.layer().title) }) : t('tsHint');
    return !missing;
  }

  async function fillRange() {
    const dates = await viewer.datesOf(viewer.state.layer).catch(() => []);
    if (!dates.length) return;
    body.querySelector('#ts-start').value = dates[0].date;
    body.querySelector('#ts-end').value = dates[dates.length - 1].date;
  }

  function updateDraw() {
    map.removeInteraction(draw);
    if (active() && mode() === 'polygon') map.addInteraction(draw);
  }

  async function run(ask, where) {
    if (!(await checkLayer())) return;
    const start = body.querySelector('#ts-start').value;
    const end = body.querySelector('#ts-end').value;
    const layer = viewer.state.layer;
    const mine = ++request;
    body.querySelector('#ts-where').textContent = `${pick(viewer.layer().title)} · ${where}`;
    try {
      const answer = await ask(layer, start, end);
      if (mine !== request) return;
      rows = rowsOf(answer);
      show(layer);
    } catch (error) {
      showMessage(error.message);
    }
  }

  function show(layer) {
    const tbody = body.querySelector('#ts-table tbody');
    tbody.replaceChildren(...rows.map((row) => {
      const tr = document.createElement('tr');
      tr.dataset.date = row.date;
      for (const value of [row.date, row.average === null ? t('noValue') : row.average.toFixed(4),
        `${row.validCount} / ${row.totalCount}`]) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.append(td);
      }
      tr.tabIndex = 0;
      tr.addEventListener('click', () => viewer.setDate(row.date));
      tr.addEventListener('keydown', (event) => { if (event.key === 'Enter') viewer.setDate(row.date); });
      return tr;
    }));
    body.querySelector('#ts-csv').disabled = !rows.length;
    const chart = body.querySelector('#ts-chart');
    plot?.destroy();
    const x = rows.map((row) => Date.parse(`${row.date}T00:00:00Z`) / 1000);
    const y = rows.map((row) => row.average);
    plot = new uPlot({
      width: Math.max(220, chart.clientWidth || 300),
      height: 180,
      series: [{}, { label: pick(viewer.layer(layer).title), stroke: '#2a7b3b', width: 2,
        points: { size: 7 }, spanGaps: true }],
      axes: [{}, { size: 45 }],
      legend: { show: false },
      cursor: { points: { size: 9 } },
    }, [x, y], chart);
    plot.over.addEventListener('click', () => {
      const index = plot.cursor.idx;
      if (index !== null && index !== undefined && rows[index]) viewer.setDate(rows[index].date);
    });
    window.eoscopeViewer.series = { layer, rows, plot };
  }

  function atPoint(lonLat) {
    const [lon, lat] = lonLat;
    run((layer, start, end) => pointSeries(viewer.config, layer, lon, lat, start, end),
      `${lon.toFixed(5)}, ${lat.toFixed(5)}`);
  }

  map.on('singleclick', (event) => {
    if (active() && mode() === 'point') atPoint(toLonLat(event.coordinate));
  });
  draw.on('drawend', (event) => {
    drawn.clear();
    const geometry = event.feature.getGeometry().clone().transform('EPSG:3857', 'EPSG:4326');
    const polygon = { type: 'Polygon', coordinates: geometry.getCoordinates() };
    run((layer, start, end) => geometrySeries(viewer.config, layer, polygon, start, end),
      t('tsPolygon'));
  });
  body.querySelector('#ts-centre').addEventListener('click',
    () => atPoint(toLonLat(map.getView().getCenter())));
  body.querySelector('#ts-csv').addEventListener('click', () => {
    download(`${viewer.state.layer}_timeseries.csv`,
      new Blob([toCsv(viewer.state.layer, rows)], { type: 'text/csv' }));
  });
  for (const radio of body.querySelectorAll('input[name=ts-mode]')) radio.addEventListener('change', updateDraw);
  viewer.onChange((what) => {
    if (what === 'tab') updateDraw();
    if ((what === 'tab' && active()) || (what === 'layer' && served)) checkLayer();
    if (what === 'layer' || what === 'start') fillRange();
  });
}
