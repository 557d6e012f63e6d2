// A date picker that offers only the dates with data, each with its cloud cover, previous /
// next buttons, and a "hide dates over N % cloud" filter applied from outside.
import { t } from './i18n.js';

export const MOSTLY_CLEAR = 30;

export function cloudText(cloud) {
  return cloud === null || cloud === undefined ? t('cloudUnknown') : t('cloud', { n: Math.round(cloud) });
}

/** The default date: the latest one with at most MOSTLY_CLEAR % cloud, else the latest. */
export function defaultDate(dates) {
  const clear = dates.filter((d) => d.cloud !== null && d.cloud <= MOSTLY_CLEAR);
  const pool = clear.length ? clear : dates;
  return pool.length ? pool[pool.length - 1].date : null;
}

export class DatePicker {
  constructor(container, id, onChange) {
    this.dates = [];
    this.maxCloud = 100;
    this.onChange = onChange;
    container.innerHTML = `
      <div class="date-picker" id="${id}">
        <button type="button" class="previous" data-i18n-label="previousDate">‹</button>
        <select class="dates" data-i18n-label="date"></select>
        <button type="button" class="next" data-i18n-label="nextDate">›</button>
      </div>`;
    this.element = container.querySelector('.date-picker');
    this.select = this.element.querySelector('select');
    this.select.addEventListener('change', () => this.onChange(this.select.value));
    this.element.querySelector('.previous').addEventListener('click', () => this.step(-1));
    this.element.querySelector('.next').addEventListener('click', () => this.step(1));
  }

  visible() {
    return this.dates.filter((d) => d.cloud === null || d.cloud <= this.maxCloud
      || d.date === this.value);
  }

  setDates(dates, value) {
    this.dates = dates;
    this.value = value;
    this.render();
  }

  setMaxCloud(maxCloud) {
    this.maxCloud = maxCloud;
    this.render();
  }

  setValue(value) {
    this.value = value;
    this.render();
  }

  render() {
    this.select.replaceChildren(...this.visible().map((d) => {
      const option = document.createElement('option');
      option.value = d.date;
      option.textContent = `${d.date} · ${cloudText(d.cloud)}`;
      option.dataset.cloud = d.cloud ?? '';
      option.selected = d.date === this.value;
      return option;
    }));
    if (!this.dates.length) {
      const option = document.createElement('option');
      option.textContent = t('noDates');
      option.value = '';
      this.select.append(option);
    }
  }

  step(direction) {
    const dates = this.visible().filter((d) => d.cloud === null || d.cloud <= this.maxCloud);
    const index = dates.findIndex((d) => d.date === this.value);
    const target = dates[index < 0 ? dates.length - 1 : index + direction];
    if (target) this.onChange(target.date);
  }
}
