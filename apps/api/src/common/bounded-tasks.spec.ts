import { BoundedTasks } from './bounded-tasks';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedTasks', () => {
  it('runs at most `limit` tasks at once, in the order added, and settles when all have ended', async () => {
    const tasks = new BoundedTasks(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      tasks.add(async () => {
        order.push(i);
        most = Math.max(most, ++running);
        await tick();
        running--;
      });
    }
    await tasks.settled();
    expect({ order, most, running }).toEqual({ order: [0, 1, 2, 3, 4, 5], most: 2, running: 0 });
    tasks.throwIfFailed();
  });

  it('starts nothing after a failure, waits for the tasks under way, and throws the first failure', async () => {
    const tasks = new BoundedTasks(2);
    const ended: string[] = [];
    tasks.add(async () => {
      await tick();
      throw new Error('first');
    });
    tasks.add(async () => {
      await tick();
      await tick();
      ended.push('slow');
    });
    tasks.add(async () => {
      ended.push('never');
    });
    await tasks.settled();
    expect(ended).toEqual(['slow']);
    expect(() => tasks.throwIfFailed()).toThrow('first');
    tasks.add(async () => {
      ended.push('after');
    });
    await tasks.settled();
    expect(ended).toEqual(['slow']);
  });
});
