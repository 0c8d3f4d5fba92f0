// The portal's side: listen to the widgets' events and drive them through attributes.
const log = document.getElementById('events');
for (const el of document.querySelectorAll('allocscope-view')) {
  for (const type of ['allocscope-navigate', 'allocscope-select']) {
    el.addEventListener(type, (e) => {
      const li = document.createElement('li');
      li.textContent = `${el.id} ${type} ${JSON.stringify(e.detail)}`;
      log.append(li);
    });
  }
}
document.getElementById('show-oom').addEventListener('click', () => {
  document.getElementById('incident').setAttribute('allocation', 'e3991c99-d379-5b31-e231-de6097d64245');
});
