// The map: an offline base (plain background + the overlay's water, town and roads, or an
// operator's XYZ base map), the data layer and its compare layer (swipe or opacity), and the
// street overlay on top.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import { defaults as defaultControls, ScaleLine } from 'ol/control.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import { defaults as defaultInteractions } from 'ol/interaction/defaults.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import { fromLonLat, transformExtent } from 'ol/proj.js';
import { getRenderPixel } from 'ol/render.js';
import VectorSource from 'ol/source/Vector.js';
import XYZ from 'ol/source/XYZ.js';
import { Fill, Stroke, Style, Text } from 'ol/style.js';

const WATER = '#9cc3e6';

function baseStyle(feature) {
  switch (feature.get('kind')) {
    case 'area': return new Style({ fill: new Fill({ color: '#f2efe6' }), stroke: new Stroke({ color: '#c9c2ae', width: 1 }) });
    case 'water': return new Style({ fill: new Fill({ color: WATER }) });
    case 'river': return new Style({ stroke: new Stroke({ color: WATER, width: 5 }) });
    case 'canal': return new Style({ stroke: new Stroke({ color: WATER, width: 4 }) });
    case 'town': return new Style({ fill: new Fill({ color: '#e4d6cf' }) });
    case 'motorway': return new Style({ stroke: new Stroke({ color: '#e8a45b', width: 4 }) });
    case 'road': return new Style({ stroke: new Stroke({ color: '#ffffff', width: 3 }) });
    default: return null;
  }
}

function overlayStyle(feature) {
  const kind = feature.get('kind');
  if (kind === 'motorway') return new Style({ stroke: new Stroke({ color: '#f6b26b', width: 3 }) });
  if (kind === 'road') return new Style({ stroke: new Stroke({ color: 'rgba(255,255,255,0.9)', width: 2 }) });
  if (kind === 'river' || kind === 'canal') return new Style({ stroke: new Stroke({ color: '#3d85c6', width: 2 }) });
  if (kind === 'label') {
    return new Style({
      text: new Text({
        text: feature.get('name'), font: 'bold 13px sans-serif',
        fill: new Fill({ color: '#222' }), stroke: new Stroke({ color: '#fff', width: 3 }),
      }),
    });
  }
  return null;
}

export function tileUrl(config, layer, date) {
  return config.endpoints.tiles.replace('{layer}', layer).replace('{date}', date);
}

export class MapView {
  constructor(config, target, onTileError) {
    this.config = config;
    this.overlaySource = new VectorSource({
      url: config.overlay.url, format: new GeoJSON(), attributions: config.overlay.attribution,
    });
    this.base = config.base.url
      ? new TileLayer({ source: new XYZ({ url: config.base.url, attributions: config.base.attribution }) })
      : new VectorLayer({ source: this.overlaySource, style: baseStyle });
    this.primary = new TileLayer({ properties: { role: 'primary' } });
    this.secondary = new TileLayer({ visible: false, properties: { role: 'secondary' } });
    this.overlay = new VectorLayer({ source: this.overlaySource, style: overlayStyle, zIndex: 10 });
    this.onTileError = onTileError;
    this.swipe = 0.5;
    this.compareMode = null;
    this.map = new Map({
      target,
      layers: [this.base, this.primary, this.secondary, this.overlay],
      controls: defaultControls({ attributionOptions: { collapsible: false } })
        .extend([new ScaleLine()]),
      // onFocusOnly (the Map's default with a tabindex) would ignore a drag until the map
      // has the focus; the keyboard interactions still act only when it has
      interactions: defaultInteractions(),
      view: new View({ center: fromLonLat([3.7, 51.05]), zoom: 12, maxZoom: 19 }),
      keyboardEventTarget: document.getElementById(target),
    });
    // swipe: the primary layer left of the slider, the secondary right of it
    for (const [layer, side] of [[this.primary, 'left'], [this.secondary, 'right']]) {
      layer.on('prerender', (event) => this.clip(event, side));
      layer.on('postrender', (event) => {
        if (this.compareMode === 'swipe') event.context.restore();
      });
    }
  }

  source(layer, date) {
    const source = new XYZ({
      url: tileUrl(this.config, layer, date),
      maxZoom: 18,
      attributions: this.config.layers.find((l) => l.name === layer)?.attribution
        ?? this.config.attribution,
      transition: 0,
    });
    source.on('tileloaderror', () => this.onTileError(layer, date));
    return source;
  }

  show(which, layer, date, opacity = 1) {
    const target = which === 'primary' ? this.primary : this.secondary;
    const key = `${layer}/${date}`;
    if (target.get('key') !== key) {
      target.setSource(layer && date ? this.source(layer, date) : null);
      target.set('key', key);
    }
    target.setOpacity(opacity);
  }

  setCompare(mode, opacity) {
    this.compareMode = mode;
    this.secondary.setVisible(Boolean(mode));
    if (mode === 'opacity') this.secondary.setOpacity(opacity);
    else this.secondary.setOpacity(1);
    this.map.render();
  }

  setSwipe(value) {
    this.swipe = value;
    this.map.render();
  }

  clip(event, side) {
    if (this.compareMode !== 'swipe') return;
    const context = event.context;
    const [width, height] = this.map.getSize();
    const split = width * this.swipe;
    const [from, to] = side === 'left' ? [0, split] : [split, width];
    const tl = getRenderPixel(event, [from, 0]);
    const tr = getRenderPixel(event, [to, 0]);
    const bl = getRenderPixel(event, [from, height]);
    const br = getRenderPixel(event, [to, height]);
    context.save();
    context.beginPath();
    context.moveTo(tl[0], tl[1]);
    context.lineTo(bl[0], bl[1]);
    context.lineTo(br[0], br[1]);
    context.lineTo(tr[0], tr[1]);
    context.closePath();
    context.clip();
  }

  setOverlay(visible) {
    this.overlay.setVisible(visible);
  }

  fitLonLat(bbox) {
    const extent = transformExtent(bbox, 'EPSG:4326', 'EPSG:3857');
    this.map.getView().fit(extent, { size: this.map.getSize(), nearest: false });
  }

  lonLatExtent() {
    const extent = this.map.getView().calculateExtent(this.map.getSize());
    return transformExtent(extent, 'EPSG:3857', 'EPSG:4326');
  }

  /** The rendered map as one canvas (every layer canvas composited, as OpenLayers' export
   * example does). */
  snapshot() {
    const [width, height] = this.map.getSize();
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    context.fillStyle = '#f2efe6';
    context.fillRect(0, 0, width, height);
    for (const layerCanvas of this.map.getViewport().querySelectorAll('.ol-layer canvas, canvas.ol-layer')) {
      if (layerCanvas.width <= 0) continue;
      const opacity = layerCanvas.parentNode.style.opacity || layerCanvas.style.opacity;
      context.globalAlpha = opacity === '' ? 1 : Number(opacity);
      const matrix = layerCanvas.style.transform.match(/^matrix\(([^(]*)\)$/);
      context.setTransform(...(matrix
        ? matrix[1].split(',').map(Number)
        : [parseFloat(layerCanvas.style.width) / layerCanvas.width, 0, 0,
          parseFloat(layerCanvas.style.height) / layerCanvas.height, 0, 0]));
      context.drawImage(layerCanvas, 0, 0);
    }
    context.globalAlpha = 1;
    context.setTransform(1, 0, 0, 1, 0, 0);
    return canvas;
  }
}
