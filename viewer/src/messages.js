// Messages to the user: every failing request ends here, never in a blank map.
const shown = [];

export function showMessage(text, kind = 'error') {
  const box = document.getElementById('messages');
  if ([...box.children].some((child) => child.dataset.text === text)) return;
  const item = document.createElement('div');
  item.className = `message ${kind}`;
  item.dataset.text = text;
  const body = document.createElement('span');
  body.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = '×';
  close.setAttribute('aria-label', 'close');
  close.addEventListener('click', () => item.remove());
  item.append(body, close);
  box.append(item);
  shown.push({ kind, text });
  if (kind === 'info') setTimeout(() => item.remove(), 6000);
}

export function messages() {
  return shown;
}
