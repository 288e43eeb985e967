// Sound: every outcome is sounded once — OK one high beep, a flag a chime, a refusal a low
// buzz. Browsers allow audio only after the worker's first touch or key.

let audio = null;
const TONES = {
  ok: [[880, 0, 0.12, "sine"]],
  flag: [[660, 0, 0.16, "triangle"], [660, 0.24, 0.16, "triangle"], [990, 0.48, 0.2, "triangle"]],
  refusal: [[196, 0, 0.35, "square"], [147, 0.4, 0.55, "square"]],
};

function unlockAudio() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch (err) {
    audio = null;
  }
}

export function installSound() {
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
}

export function beep(kind) {
  unlockAudio();
  if (!audio) return;
  for (const [frequency, start, length, type] of TONES[kind]) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    const at = audio.currentTime + start;
    oscillator.type = type;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + length + 0.02);
  }
}
