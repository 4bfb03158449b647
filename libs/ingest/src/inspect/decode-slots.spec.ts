import { DecodeSlots } from './decode-slots';

const later = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('DecodeSlots', () => {
  it('runs at most `size` at once, the rest in order as slots free', async () => {
    const slots = new DecodeSlots(2);
    const gates = [later(), later(), later(), later()];
    const started: number[] = [];
    const runs = gates.map((gate, i) => slots.run(async () => (started.push(i), gate.promise)));
    await new Promise((r) => setImmediate(r));
    expect({ started: [...started], busy: slots.busy, queued: slots.queued }).toEqual({ started: [0, 1], busy: 2, queued: 2 });
    gates[1].resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates.forEach((g) => g.resolve());
    await Promise.all(runs);
    expect({ busy: slots.busy, queued: slots.queued }).toEqual({ busy: 0, queued: 0 });
  });

  it('lets a waiting caller leave the queue when its signal aborts, with its reason', async () => {
    const slots = new DecodeSlots(1);
    const gate = later();
    const first = slots.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const second = slots.run(async () => void (ran = true), controller.signal);
    controller.abort(new Error('client gone'));
    await expect(second).rejects.toThrow('client gone');
    expect(slots.queued).toBe(0);
    gate.resolve();
    await first;
    expect({ ran, busy: slots.busy }).toEqual({ ran: false, busy: 0 });
    await expect(slots.run(async () => 1, controller.signal)).rejects.toThrow('client gone');
  });

  it('frees the slot when the work fails', async () => {
    const slots = new DecodeSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('corrupt')))).rejects.toThrow('corrupt');
    await expect(slots.run(async () => 'next')).resolves.toBe('next');
  });
});
