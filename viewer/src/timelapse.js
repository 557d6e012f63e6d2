// Time lapse: the layer's dates over the current view, one frame per date with at most the
// chosen cloud cover, the date written on each frame; play at a chosen speed, export an
// animated GIF (gifenc) that carries the attribution.
import { applyPalette, GIFEncoder, quantize } from 'gifenc';

import { pick, t } from './i18n.js';
import { showMessage } from './messages.js';
import { download } from './timeseries.js';

const MAX_SIDE = 640;

export function getMapUrl(config, layer, date, extent, width, height) {
  const params = new URLSearchParams({
    SERVICE: 'WMS', VERSION: '1.3.0', REQUEST: 'GetMap', LAYERS: layer, STYLES: '',
    CRS: 'EPSG:3857', BBOX: extent.map((v) => v.toFixed(2)).join(','),
    WIDTH: String(width), HEIGHT: String(height), FORMAT: 'image/png', TRANSPARENT: 'TRUE',
    TIME: date,
  });
  return `${config.endpoints.wms}?${params}`;
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(url));
    image.src = url;
  });
}

export function stamp(context, width, height, lines) {
  context.font = 'bold 15px sans-serif';
  context.textBaseline = 'top';
  const [title, note] = lines;
  const boxWidth = Math.min(width - 8, context.measureText(title).width + 16);
  context.fillStyle = 'rgba(255,255,255,0.85)';
  context.fillRect(4, 4, boxWidth, 24);
  context.fillStyle = '#111';
  context.fillText(title, 12, 9);
  context.font = '11px sans-serif';
  context.textBaseline = 'bottom';
  const noteWidth = context.measureText(note).width;
  context.fillStyle = 'rgba(255,255,255,0.85)';
  context.fillRect(width - noteWidth - 12, height - 18, noteWidth + 8, 16);
  context.fillStyle = '#111';
  context.fillText(note, width - noteWidth - 8, height - 4);
}

export function timeLapsePanel(viewer, body) {
  body.innerHTML = `
    <div class="field"><label for="lapse-cloud" data-i18n="lapseCloud"></label>
      <input id="lapse-cloud" type="number" min="0" max="100" step="5" value="50"> %</div>
    <div class="field"><label for="lapse-speed" data-i18n="lapseSpeed"></label>
      <select id="lapse-speed"><option value="1000">1</option><option value="500" selected>2</option>
      <option value="250">4</option><option value="125">8</option></select></div>
    <div class="buttons"><button type="button" id="lapse-play" data-i18n="play"></button>
      <button type="button" id="lapse-stop" data-i18n="stop"></button>
      <button type="button" id="lapse-gif" data-i18n="exportGif"></button></div>
    <p id="lapse-status" aria-live="polite"></p>`;
  const canvas = document.getElementById('lapse-canvas');
  const status = body.querySelector('#lapse-status');
  let timer = null;

  async function frames() {
    const map = viewer.mapView.map;
    const [mapWidth, mapHeight] = map.getSize();
    const scale = Math.min(1, MAX_SIDE / Math.max(mapWidth, mapHeight));
    const width = Math.round(mapWidth * scale);
    const height = Math.round(mapHeight * scale);
    const extent = map.getView().calculateExtent(map.getSize());
    const maxCloud = Number(body.querySelector('#lapse-cloud').value);
    const dates = (await viewer.datesOf(viewer.state.layer))
      .filter((d) => d.cloud === null || d.cloud <= maxCloud);
    const layer = viewer.layer();
    const result = [];
    for (const [index, { date, cloud }] of dates.entries()) {
      status.textContent = t('lapseLoading', { i: index + 1, n: dates.length });
      let image;
      try {
        image = await loadImage(getMapUrl(viewer.config, layer.name, date, extent, width, height));
      } catch {
        throw new Error(t('errFrame', { date }));
      }
      const frame = document.createElement('canvas');
      frame.width = width;
      frame.height = height;
      const context = frame.getContext('2d');
      context.fillStyle = '#f2efe6';
      context.fillRect(0, 0, width, height);
      context.drawImage(image, 0, 0, width, height);
      const cloudNote = cloud === null ? '' : ` · ${t('cloud', { n: Math.round(cloud) })}`;
      stamp(context, width, height, [`${pick(layer.title)} ${date}${cloudNote}`,
        layer.attribution ?? viewer.config.attribution]);
      result.push({ date, frame });
    }
    status.textContent = t('lapseFrames', { n: result.length });
    return result;
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    canvas.hidden = true;
  }

  async function play() {
    stop();
    let list;
    try {
      list = await frames();
    } catch (error) {
      showMessage(error.message);
      return;
    }
    if (!list.length) { showMessage(t('lapseNone'), 'info'); return; }
    canvas.width = list[0].frame.width;
    canvas.height = list[0].frame.height;
    canvas.hidden = false;
    let index = 0;
    const draw = () => {
      canvas.getContext('2d').drawImage(list[index % list.length].frame, 0, 0);
      canvas.dataset.date = list[index % list.length].date;
      index += 1;
    };
    draw();
    timer = setInterval(draw, Number(body.querySelector('#lapse-speed').value));
  }

  async function exportGif() {
    let list;
    try {
      list = await frames();
    } catch (error) {
      showMessage(error.message);
      return;
    }
    if (!list.length) { showMessage(t('lapseNone'), 'info'); return; }
    const delay = Number(body.querySelector('#lapse-speed').value);
    const gif = GIFEncoder();
    for (const { frame } of list) {
      const { data } = frame.getContext('2d').getImageData(0, 0, frame.width, frame.height);
      const palette = quantize(data, 256);
      gif.writeFrame(applyPalette(data, palette), frame.width, frame.height, { palette, delay });
    }
    gif.finish();
    download(`${viewer.state.layer}_timelapse.gif`, new Blob([gif.bytes()], { type: 'image/gif' }));
    status.textContent = t('lapseExported', { n: list.length });
  }

  body.querySelector('#lapse-play').addEventListener('click', play);
  body.querySelector('#lapse-stop').addEventListener('click', stop);
  body.querySelector('#lapse-gif').addEventListener('click', exportGif);
  viewer.onChange((what) => { if (what === 'tab' && viewer.activeTab !== 'timelapse') stop(); });
}
