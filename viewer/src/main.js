// The eoscope viewer: layers from /viewer/config.json (generated from the layer registry),
// dates from the catalogue, the view state in the URL.
import 'ol/ol.css';
import 'uplot/dist/uPlot.min.css';
import './viewer.css';

import { collectionDates, getJson, ServiceError } from './api.js';
import { comparePanel } from './compare.js';
import { DatePicker, defaultDate } from './datepicker.js';
import { exportPanel } from './exporting.js';
import { applyTexts, LANGUAGES, pick, setLanguage, t } from './i18n.js';
import { MapView } from './map.js';
import { messages, showMessage } from './messages.js';
import { formatBbox, readState, writeState } from './state.js';
import { timeLapsePanel } from './timelapse.js';
import { timeSeriesPanel } from './timeseries.js';

const TABS = ['layers', 'compare', 'timeseries', 'timelapse', 'export'];
const hooks = { messages, ready: null, firstMapMs: null };
window.eoscopeViewer = hooks;

function report(error) {
  if (error instanceof ServiceError) showMessage(error.message);
  else {
    showMessage(t('errUnexpected', { detail: error.message }));
    console.warn(error); // eslint-disable-line no-console
  }
}

class Viewer {
  constructor(config) {
    this.config = config;
    this.layers = new Map(config.layers.map((layer) => [layer.name, layer]));
    this.dates = new Map();
    this.state = readState(window.location.search);
    this.state.language = setLanguage(this.state.language || 'en');
    this.opacity = 1;
    this.compareOpacity = 0.5;
    this.listeners = [];
    this.tileErrors = new Set();
  }

  layer(name = this.state.layer) {
    return this.layers.get(name);
  }

  async datesOf(name) {
    const layer = this.layer(name);
    if (!this.dates.has(layer.collection)) {
      this.dates.set(layer.collection, collectionDates(this.config, layer.collection));
    }
    return this.dates.get(layer.collection);
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  changed(what) {
    writeState(this.state);
    this.renderMapDate();
    for (const listener of this.listeners) listener(what);
  }

  async start() {
    this.buildChrome();
    if (!this.layer()) {
      if (this.state.layer) showMessage(t('errUnknownLayer', { layer: this.state.layer }));
      this.state.layer = this.config.layers[0]?.name;
    }
    if (!this.state.layer) {
      showMessage(t('errNoLayers'));
      return;
    }
    this.mapView = new MapView(this.config, 'map', (layer, date) => this.tileError(layer, date));
    this.mapView.overlaySource.on('featuresloaderror', () => {
      if (this.state.overlay) showMessage(t('errOverlay'));
    });
    this.mapView.setOverlay(this.state.overlay);
    const map = this.mapView.map;
    map.on('moveend', () => this.moved());
    this.buildPanels();
    if (this.state.bbox) {
      this.mapView.fitLonLat(this.state.bbox);
      // a URL with layer, date and bbox draws at once; the dates arrive meanwhile
      if (this.state.date) this.mapView.show('primary', this.state.layer, this.state.date);
    }
    const dates = await this.datesOf(this.state.layer).catch((error) => { report(error); return []; });
    if (!dates.some((d) => d.date === this.state.date)) {
      if (this.state.date) showMessage(t('errNoDate', { date: this.state.date }), 'info');
      this.state.date = defaultDate(dates);
    }
    if (!this.state.bbox) await this.fitLayer();
    this.initialView = this.viewKey();
    await this.setLayer(this.state.layer, this.state.date);
    // the first complete map (every tile of the view drawn), in ms since navigation started
    map.once('rendercomplete', () => { hooks.firstMapMs = performance.now(); });
    if (this.state.compare) await this.compare.open(this.state);
    this.changed('start');
  }

  viewKey() {
    const view = this.mapView.map.getView();
    return `${view.getCenter().map((v) => v.toFixed(2))}/${view.getResolution().toFixed(4)}`;
  }

  async fitLayer() {
    const layer = this.layer();
    const products = await getJson(`${this.config.endpoints.catalogue}?collection=${layer.collection}&count=50`, t('catalogue'))
      .catch((error) => { report(error); return { features: [] }; });
    const coordinates = products.features.flatMap((f) => f.geometry?.coordinates?.flat() || []);
    if (!coordinates.length) return;
    const lons = coordinates.map((c) => c[0]);
    const lats = coordinates.map((c) => c[1]);
    this.mapView.fitLonLat([Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)]);
  }

  moved() {
    if (this.initialView === undefined) return;
    if (this.viewKey() !== this.initialView) {
      this.initialView = null;
      this.state.bboxText = formatBbox(this.mapView.lonLatExtent());
    } else if (!this.state.bboxText) {
      this.state.bboxText = formatBbox(this.mapView.lonLatExtent());
    }
    this.changed('view');
  }

  tileError(layer, date) {
    const key = `${layer}/${date}`;
    if (this.tileErrors.has(key)) return;
    this.tileErrors.add(key);
    showMessage(t('errTiles', { layer: pick(this.layer(layer)?.title) || layer, date }));
  }

  async setLayer(name, date) {
    this.state.layer = name;
    const dates = await this.datesOf(name).catch((error) => { report(error); return []; });
    this.state.date = dates.some((d) => d.date === date) ? date : defaultDate(dates);
    this.picker.setDates(dates, this.state.date);
    this.mapView.show('primary', name, this.state.date, this.opacity);
    this.renderLayers();
    this.changed('layer');
  }

  setDate(date) {
    this.state.date = date;
    this.picker.setValue(date);
    this.mapView.show('primary', this.state.layer, date, this.opacity);
    this.changed('date');
  }

  renderMapDate() {
    const label = document.getElementById('map-date');
    const main = `${pick(this.layer()?.title)} · ${this.state.date || '–'}`;
    label.textContent = this.state.compare
      ? `${main} | ${pick(this.layer(this.state.layer2)?.title)} · ${this.state.date2 || '–'}`
      : main;
  }

  buildChrome() {
    const select = document.getElementById('language');
    select.replaceChildren(...LANGUAGES.map((code) => {
      const option = document.createElement('option');
      option.value = code;
      option.textContent = t(`language_${code}`);
      option.selected = code === this.state.language;
      return option;
    }));
    select.addEventListener('change', () => this.setLanguage(select.value));
    const toggle = document.getElementById('panel-toggle');
    toggle.addEventListener('click', () => {
      const app = document.getElementById('app');
      const collapsed = app.classList.toggle('collapsed');
      toggle.setAttribute('aria-expanded', String(!collapsed));
      this.mapView?.map.updateSize();
    });
    if (window.matchMedia('(max-width: 700px)').matches) {
      document.getElementById('app').classList.add('collapsed');
      toggle.setAttribute('aria-expanded', 'false');
    }
    const tabs = document.getElementById('tabs');
    const bodies = document.getElementById('tab-bodies');
    for (const name of TABS) {
      const tab = document.createElement('button');
      tab.type = 'button';
      tab.id = `tab-${name}`;
      tab.setAttribute('role', 'tab');
      tab.dataset.i18n = `tab_${name}`;
      tab.setAttribute('aria-controls', `body-${name}`);
      tab.addEventListener('click', () => this.openTab(name));
      tab.addEventListener('keydown', (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (!step) return;
        const next = TABS[(TABS.indexOf(name) + step + TABS.length) % TABS.length];
        this.openTab(next);
        document.getElementById(`tab-${next}`).focus();
      });
      tabs.append(tab);
      const body = document.createElement('section');
      body.id = `body-${name}`;
      body.setAttribute('role', 'tabpanel');
      body.className = 'tab-body';
      bodies.append(body);
    }
  }

  openTab(name) {
    for (const other of TABS) {
      const selected = other === name;
      document.getElementById(`tab-${other}`).setAttribute('aria-selected', String(selected));
      document.getElementById(`body-${other}`).hidden = !selected;
    }
    this.activeTab = name;
    for (const listener of this.listeners) listener('tab');
  }

  buildPanels() {
    const body = document.getElementById('body-layers');
    body.innerHTML = `
      <div id="layer-list"></div>
      <div class="field"><label for="opacity" data-i18n="opacity"></label>
        <input id="opacity" type="range" min="0" max="1" step="0.05" value="1"></div>
      <div class="field"><label><input id="overlay-toggle" type="checkbox">
        <span data-i18n="overlay"></span></label></div>
      <h2 data-i18n="dates"></h2>
      <div id="primary-dates"></div>
      <div class="field"><label for="max-cloud" data-i18n="hideCloudy"></label>
        <input id="max-cloud" type="number" min="0" max="100" step="5" value="100"> %</div>`;
    this.picker = new DatePicker(body.querySelector('#primary-dates'), 'date-picker',
      (date) => this.setDate(date));
    body.querySelector('#opacity').addEventListener('input', (event) => {
      this.opacity = Number(event.target.value);
      this.mapView.primary.setOpacity(this.opacity);
    });
    const overlay = body.querySelector('#overlay-toggle');
    overlay.checked = this.state.overlay;
    overlay.addEventListener('change', () => {
      this.state.overlay = overlay.checked;
      this.mapView.setOverlay(overlay.checked);
      this.changed('overlay');
    });
    body.querySelector('#max-cloud').addEventListener('input', (event) => {
      this.picker.setMaxCloud(Number(event.target.value));
      this.compare?.picker.setMaxCloud(Number(event.target.value));
    });
    this.compare = comparePanel(this, document.getElementById('body-compare'));
    timeSeriesPanel(this, document.getElementById('body-timeseries'));
    timeLapsePanel(this, document.getElementById('body-timelapse'));
    exportPanel(this, document.getElementById('body-export'));
    this.openTab('layers');
    applyTexts();
  }

  renderLayers() {
    const list = document.getElementById('layer-list');
    list.replaceChildren(...this.config.groups.map((group) => {
      const fieldset = document.createElement('fieldset');
      fieldset.className = 'group';
      const legend = document.createElement('legend');
      legend.textContent = group.id;
      fieldset.append(legend);
      for (const name of group.layers) fieldset.append(this.layerItem(this.layer(name)));
      return fieldset;
    }));
  }

  layerItem(layer) {
    const item = document.createElement('div');
    item.className = 'layer';
    item.dataset.layer = layer.name;
    const selected = layer.name === this.state.layer;
    const id = `layer-${layer.name}`;
    item.innerHTML = `<input type="radio" name="layer" id="${id}" value="${layer.name}">
      <label for="${id}" class="title"></label><p class="abstract"></p>`;
    item.querySelector('label').textContent = pick(layer.title);
    item.querySelector('.abstract').textContent = pick(layer.abstract);
    const radio = item.querySelector('input');
    radio.checked = selected;
    radio.addEventListener('change', () => this.setLayer(layer.name, this.state.date));
    if (selected) {
      const legend = document.createElement('figure');
      legend.className = 'legend';
      const image = document.createElement('img');
      image.src = layer.legend[this.state.language] || layer.legend.en;
      image.alt = t('legendOf', { layer: pick(layer.title) });
      image.addEventListener('error', () => showMessage(t('errLegend', { layer: pick(layer.title) })));
      const caption = document.createElement('figcaption');
      caption.textContent = `${t('unit')}: ${layer.unit && layer.unit !== '1' ? layer.unit : t('unitless')}`;
      legend.append(image, caption);
      item.append(legend);
    }
    return item;
  }

  setLanguage(code) {
    this.state.language = setLanguage(code);
    applyTexts();
    const select = document.getElementById('language');
    for (const option of select.options) option.textContent = t(`language_${option.value}`);
    this.picker.render();
    this.renderLayers();
    this.changed('language');
  }
}

async function main() {
  let config;
  try {
    config = await getJson('config.json', 'viewer configuration');
  } catch (error) {
    report(error);
    return;
  }
  const viewer = new Viewer(config);
  hooks.viewer = viewer;
  await viewer.start();
}

hooks.ready = main().catch(report);
