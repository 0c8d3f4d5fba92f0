// The portal's side of iframe mode: the frame reports its height and route; the portal
// configures it with postMessage. Messages are sent to, and accepted from, the frame's
// origin only.
const frame = document.getElementById('frame');
const frameOrigin = new URL(frame.src, location.href).origin;
window.allocscopeMessages = [];
window.addEventListener('message', (e) => {
  if (e.origin !== frameOrigin || e.source !== frame.contentWindow) return;
  window.allocscopeMessages.push(e.data);
  if (e.data?.type === 'allocscope:height') {
    document.getElementById('height').textContent = e.data.height;
    frame.style.height = `${e.data.height}px`;
  }
  if (e.data?.type === 'allocscope:route') document.getElementById('route').textContent = e.data.route;
});
const send = (msg) => frame.contentWindow.postMessage({ type: 'allocscope:config', ...msg }, frameOrigin);
document.getElementById('dark').addEventListener('click', () => send({ theme: 'dark' }));
document.getElementById('open-c').addEventListener('click', () => send({ route: '/allocations/e263482b-3b07-460c-2ef4-3d163ab9ea29' }));
