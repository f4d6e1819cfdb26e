import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/core/engine.js';
import { UserError } from '../../src/core/errors.js';
import { capabilitiesOf } from '../../src/models/capabilities.js';
import { createModel, listModels, type DataInfo } from '../../src/models/registry.js';

before(async () => {
  await initBackend('wasm');
});

const DATA: Record<string, DataInfo> = {
  binary: { shape: [4, 4, 1], kind: 'binary' },
  continuous: { shape: [3], kind: 'continuous' },
  real: { shape: [2], kind: 'real' },
  images: { shape: [4, 4, 1], kind: 'continuous' },
};

test('every registered model builds with its defaults, and again from its own getConfig()', () => {
  for (const info of listModels()) {
    // Adversarial models take [0, 1] images (the DCGAN players need [H, W, C]).
    const data = info.family === 'adversarial' ? DATA.images : (DATA[info.accepts[0] === 'uint8' ? 'binary' : info.accepts[0]] ?? DATA.binary);
    const model = createModel(info.name, {}, data);
    assert.equal(model.name, info.name);
    assert.deepEqual(capabilitiesOf(model), info.capabilities, `${info.name} on ${JSON.stringify(data)}`);
    const again = createModel(info.name, JSON.parse(JSON.stringify(model.getConfig())), data);
    assert.deepEqual(again.getConfig(), model.getConfig(), info.name);
    model.dispose();
    again.dispose();
  }
});

test('an option a model does not have is a user error naming the options it has', () => {
  assert.throws(() => createModel('pixelcnn', { hidden: 500 }, DATA.binary), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /pixelcnn has no option 'hidden'; its options: .*channels/);
    return true;
  });
});
