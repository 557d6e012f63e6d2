// Compare: two dates of a layer, or two layers on one date, as a swipe (slider over the map)
// or with the second side's opacity; each side has its own date picker.
import { ServiceError } from './api.js';
import { DatePicker, defaultDate } from './datepicker.js';
import { pick, t } from './i18n.js';
import { showMessage } from './messages.js';

function report(error) {
  showMessage(error instanceof ServiceError ? error.message : t('errUnexpected', { detail: error.message }));
}

export function comparePanel(viewer, body) {
  body.innerHTML = `
    <fieldset class="compare-mode"><legend data-i18n="compareMode"></legend>
      <label><input type="radio" name="compare" value="" checked> <span data-i18n="compareOff"></span></label>
      <label><input type="radio" name="compare" value="swipe"> <span data-i18n="compareSwipe"></span></label>
      <label><input type="radio" name="compare" value="opacity"> <span data-i18n="compareOpacity"></span></label>
    </fieldset>
    <div class="field"><label for="compare-layer" data-i18n="compareLayer"></label>
      <select id="compare-layer"></select></div>
    <div class="field"><span data-i18n="compareDate"></span><div id="compare-dates"></div></div>
    <div class="field" id="compare-opacity-field"><label for="compare-opacity" data-i18n="opacity"></label>
      <input id="compare-opacity" type="range" min="0" max="1" step="0.05" value="0.5"></div>
    <p class="hint" data-i18n="compareHint"></p>`;
  const picker = new DatePicker(body.querySelector('#compare-dates'), 'compare-date-picker',
    (date) => setSide(viewer.state.layer2, date));
  const layerSelect = body.querySelector('#compare-layer');
  const swipe = document.getElementById('swipe');
  const swipeBar = document.getElementById('swipe-bar');

  function fillLayers() {
    layerSelect.replaceChildren(...viewer.config.layers.map((layer) => {
      const option = document.createElement('option');
      option.value = layer.name;
      option.textContent = pick(layer.title);
      option.selected = layer.name === viewer.state.layer2;
      return option;
    }));
  }

  async function setSide(layer, date) {
    viewer.state.layer2 = layer;
    const dates = await viewer.datesOf(layer).catch((error) => { report(error); return []; });
    viewer.state.date2 = dates.some((d) => d.date === date) ? date : defaultDate(dates);
    picker.setDates(dates, viewer.state.date2);
    viewer.mapView.show('secondary', layer, viewer.state.date2);
    viewer.mapView.setCompare(viewer.state.compare, viewer.compareOpacity);
    viewer.changed('compare');
  }

  async function setMode(mode, { layer2, date2 } = {}) {
    viewer.state.compare = mode || null;
    for (const radio of body.querySelectorAll('input[name=compare]')) radio.checked = radio.value === (mode || '');
    swipeBar.hidden = mode !== 'swipe';
    body.querySelector('#compare-opacity-field').hidden = mode !== 'opacity';
    if (!mode) {
      viewer.mapView.setCompare(null);
      viewer.changed('compare');
      return;
    }
    const layer = viewer.layers.has(layer2) ? layer2 : (viewer.state.layer2 && viewer.layers.has(viewer.state.layer2) ? viewer.state.layer2 : viewer.state.layer);
    let date = date2 || viewer.state.date2;
    if (!date) { // two dates of one layer by default: the one before the shown date
      const dates = await viewer.datesOf(layer).catch(() => []);
      const index = dates.findIndex((d) => d.date === viewer.state.date);
      date = dates[Math.max(0, index - 1)]?.date;
    }
    await setSide(layer, date);
    fillLayers();
  }

  for (const radio of body.querySelectorAll('input[name=compare]')) {
    radio.addEventListener('change', () => setMode(radio.value));
  }
  layerSelect.addEventListener('change', () => setSide(layerSelect.value, viewer.state.date2));
  swipe.addEventListener('input', () => viewer.mapView.setSwipe(Number(swipe.value)));
  swipe.setAttribute('aria-label', 'swipe');
  body.querySelector('#compare-opacity').addEventListener('input', (event) => {
    viewer.compareOpacity = Number(event.target.value);
    viewer.mapView.setCompare(viewer.state.compare, viewer.compareOpacity);
  });
  body.querySelector('#compare-opacity-field').hidden = true;
  fillLayers();
  viewer.onChange((what) => { if (what === 'language') { fillLayers(); picker.render(); } });
  return { open: (state) => setMode(state.compare, state), setMode, picker };
}
