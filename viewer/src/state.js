// The view state in the URL, as Terrascope's viewer writes it:
// ?language=en&layer=CGS_S2_NDVI&date=2018-07-03&bbox=minLon,minLat,maxLon,maxLat&overlay=false
// plus compare=swipe|opacity with layer2 and date2 for the second side.
const KEYS = ['language', 'layer', 'date', 'bbox', 'overlay', 'compare', 'layer2', 'date2'];

export function readState(search) {
  const params = new URLSearchParams(search);
  const bbox = (params.get('bbox') || '').split(',').map(Number);
  return {
    language: params.get('language'),
    layer: params.get('layer'),
    date: params.get('date'),
    bbox: bbox.length === 4 && bbox.every(Number.isFinite) ? bbox : null,
    bboxText: params.get('bbox'),
    overlay: params.get('overlay') !== 'false',
    compare: ['swipe', 'opacity'].includes(params.get('compare')) ? params.get('compare') : null,
    layer2: params.get('layer2'),
    date2: params.get('date2'),
  };
}

export function formatBbox(bbox) {
  return bbox.map((value) => value.toFixed(5)).join(',');
}

export function writeState(state) {
  const params = new URLSearchParams(window.location.search);
  const values = {
    language: state.language,
    layer: state.layer,
    date: state.date,
    bbox: state.bboxText,
    overlay: state.overlay ? 'true' : 'false',
    compare: state.compare,
    layer2: state.compare ? state.layer2 : null,
    date2: state.compare ? state.date2 : null,
  };
  for (const key of KEYS) {
    if (values[key]) params.set(key, values[key]);
    else params.delete(key);
  }
  const query = [...params].map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&').replaceAll('%2C', ',');
  const url = `${window.location.pathname}?${query}`;
  if (url !== `${window.location.pathname}${window.location.search}`) {
    window.history.replaceState(null, '', url);
  }
}
