// Interface texts: one JSON table per language (src/i18n/*.json); English fills any gap.
import en from './i18n/en.json';
import fr from './i18n/fr.json';
import nl from './i18n/nl.json';

const TABLES = { en, nl, fr };
let current = 'en';

export const LANGUAGES = Object.keys(TABLES);

export function setLanguage(language) {
  current = TABLES[language] ? language : 'en';
  document.documentElement.lang = current;
  return current;
}

export function language() {
  return current;
}

export function t(key, values = {}) {
  let text = TABLES[current][key] ?? TABLES.en[key] ?? key;
  for (const [name, value] of Object.entries(values)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** Pick one language of a {en, nl, fr} object from the configuration. */
export function pick(texts) {
  if (!texts) return '';
  if (typeof texts === 'string') return texts;
  return texts[current] || texts.en || '';
}

/** Fill every [data-i18n] element (text) and [data-i18n-label] (aria-label and title). */
export function applyTexts(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll('[data-i18n-label]')) {
    const label = t(element.dataset.i18nLabel);
    element.setAttribute('aria-label', label);
    element.title = label;
  }
}
