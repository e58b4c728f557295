/**
 * The forge's API given what a JavaScript caller may pass: a name from user input that is a key of every object's
 * prototype, a seed or width of the wrong kind, forgeModels options that are missing or mistyped. Each is an
 * InputError naming the value, and forgeModels refuses before it makes its folder or writes a replica.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { buildReplicaGraph, encodeReplica, forgeExtraModel, forgeModel, forgeModels, selectForgeNames, selectReplicas, type ReplicaName } from '../../models/forge/index.js';

const isInputError = (pattern: RegExp) => (error: unknown): boolean => {
  assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
  assert.match(error.message, pattern);
  return true;
};

describe('forge: names and seeds from untyped callers', () => {
  it('a prototype key (constructor, toString, __proto__) is an unknown replica, not a TypeError', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      assert.throws(() => forgeModel(name as ReplicaName), isInputError(new RegExp(`unknown replica '${name}'`)), name);
      assert.throws(() => buildReplicaGraph(name as ReplicaName), isInputError(/unknown replica/), name);
      assert.throws(() => encodeReplica(name as ReplicaName, buildReplicaGraph('genderage')), isInputError(/unknown replica/), name);
    }
  });

  it('a seed given as a string names it as a string', () => {
    assert.throws(() => forgeModel('genderage', '5' as unknown as number), isInputError(/seed must be a non-negative integer, got "5"/));
  });

  it('forgeExtraModel with null options or a string width is an InputError', () => {
    assert.throws(() => forgeExtraModel('inswapper_128', 1, null as never), isInputError(/options must be an object, got null/));
    assert.throws(() => forgeExtraModel('inswapper_128', 1, { width: '16' as unknown as number }), isInputError(/width must be a positive multiple of 8, got "16"/));
  });

  it('a name list that is a bare string or holds a number is an InputError', () => {
    assert.throws(() => selectForgeNames('genderage' as unknown as string[]), isInputError(/only must be an array of replica names, got "genderage"/));
    assert.throws(() => selectReplicas([5] as unknown as string[]), isInputError(/only must be an array of replica names, got \[5\]/));
  });
});

describe('forgeModels: options are checked before anything is made', () => {
  it('no options, or no outDir, is an InputError', async () => {
    await assert.rejects(forgeModels(undefined as never), isInputError(/forgeModels takes an options object, got undefined/));
    await assert.rejects(forgeModels({} as never), isInputError(/outDir must be a folder path, got undefined/));
    await assert.rejects(forgeModels({ outDir: '', only: ['genderage'] }), isInputError(/outDir must be a folder path, got ""/));
  });

  it('a bad seed, width, only or onProgress leaves no folder and no replica behind', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'forge-input-'));
    try {
      const outDir = path.join(parent, 'out');
      const bad: { readonly options: Parameters<typeof forgeModels>[0]; readonly pattern: RegExp }[] = [
        { options: { outDir, only: ['genderage'], seed: -3 }, pattern: /seed must be a non-negative integer, got -3/ },
        // genderage comes first in catalog order: a width checked only at inswapper_128 left genderage.onnx written.
        { options: { outDir, only: ['genderage', 'inswapper_128'], width: 12 }, pattern: /width must be a positive multiple of 8, got 12/ },
        { options: { outDir, only: 'genderage' as unknown as string[] }, pattern: /only must be an array/ },
        { options: { outDir, only: ['genderage'], onProgress: 'log' as never }, pattern: /onProgress must be a function, got "log"/ },
      ];
      for (const { options, pattern } of bad) {
        await assert.rejects(forgeModels(options), isInputError(pattern));
        assert.equal(existsSync(outDir), false, `${pattern}: no --out folder made`);
      }
      assert.deepEqual(await readdir(parent), []);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
