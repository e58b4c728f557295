import type { Epilogue, ResidualUpsample } from './params.js';
import type { GpuBinding } from '../kernel/gpu-dispatch.js';
import type { ShapeValues } from '../kernel/shape-values.js';
import { Storage } from '../kernel/storage.js';
import type { UnaryKind } from '../unary/cpu.js';
import { unaryExpression } from '../unary/gpu.js';

/**
 * WGSL for an op's fused tail, y = act(acc + bias + residual): extra bindings and a function
 * `epilogue(v, channel, index)` where `index` is the output element's linear index (for the residual).
 */
export interface EpilogueWgsl {
  /** Bindings to append after the op's own, with their WGSL names. */
  readonly bindings: readonly { readonly binding: GpuBinding; readonly name: string }[];
  readonly fn: string;
}

/**
 * Activations a generic epilogue chooses at run time, by their position here (+1; 0 is none, PRelu follows them):
 * the ones graph fusion puts into an epilogue. Any other kind keeps its own WGSL text.
 */
const GENERIC_ACTIVATIONS: readonly UnaryKind[] = ['Relu', 'Clip', 'Sigmoid', 'LeakyRelu', 'HardSigmoid', 'Tanh', 'HardSwish', 'Elu'];
const PRELU_CODE = GENERIC_ACTIVATIONS.length + 1;

/** Bound in place of an absent bias, residual or slope in generic epilogues (never read: the flags say so). */
const ABSENT = new Float32Array(1);

const FLAG_BIAS = 1;
const FLAG_RESIDUAL = 2;
const FLAG_SLOPE_PER_CHANNEL = 4;
const FLAG_RESIDUAL_UPSAMPLED = 8;

/** Absent upsampling in generic epilogues: every factor and extent 1, so the unused index math never divides by 0. */
const NO_UPSAMPLE: ResidualUpsample = { factorY: 1, factorX: 1, inH: 1, inW: 1, outH: 1, outW: 1 };

/** The WGSL index of the residual element that output element `index` adds (see ResidualUpsample). */
function upsampledIndex(up: ResidualUpsample, shape: ShapeValues | undefined): string {
  const u = (name: string, value: number): string => (shape?.generic ? shape.u(name, value) : `${value}u`);
  const outW = u('epUpOutW', up.outW);
  return `(index / ${u('epUpOutPlane', up.outH * up.outW)}) * ${u('epUpInPlane', up.inH * up.inW)}`
    + ` + ((index / ${outW}) % ${u('epUpOutH', up.outH)}) / ${u('epUpFactorY', up.factorY)} * ${u('epUpInW', up.inW)}`
    + ` + (index % ${outW}) / ${u('epUpFactorX', up.factorX)}`;
}

/**
 * With generic `shape` values the tail is one WGSL text for every epilogue (see `genericEpilogue`), so the conv
 * layers of a model share their generic pipelines whatever activation, bias or residual each has. Bias, residual
 * and slope are read as `storage` stores them (the caller declares their bindings with the same storage).
 */
export function epilogueWgsl(epilogue: Epilogue, bias: GpuBinding | undefined, residual: GpuBinding | undefined, shape?: ShapeValues, storage = Storage.f32): EpilogueWgsl {
  const st = storage;
  const generic = shape?.generic === true && (epilogue.kind !== 'unary' || GENERIC_ACTIVATIONS.includes(epilogue.unary.kind));
  if (generic) return genericEpilogue(epilogue, bias, residual, shape, st);
  const bindings: { binding: GpuBinding; name: string }[] = [];
  let body = '  var y = v;\n';
  if (bias) {
    bindings.push({ binding: bias, name: 'bias' });
    body += `  y += ${st.load('bias[channel]')};\n`;
  }
  if (epilogue.residual && residual) {
    bindings.push({ binding: residual, name: 'residual' });
    body += `  y += ${st.load(`residual[${epilogue.residualUpsample ? upsampledIndex(epilogue.residualUpsample, undefined) : 'index'}]`)};\n`;
  }
  if (epilogue.kind === 'unary') {
    body += `  y = ${unaryExpression(epilogue.unary, 'y')};\n`;
  } else if (epilogue.kind === 'prelu') {
    bindings.push({ binding: { kind: 'data', data: epilogue.slope }, name: 'slope' });
    const s = st.load(epilogue.slope.length === 1 ? 'slope[0]' : 'slope[channel]');
    body += `  y = select(y * ${s}, y, y >= 0.0f);\n`;
  }
  const fn = `fn epilogue(v: f32, channel: u32, index: u32) -> f32 {\n${body}  return y;\n}`;
  return { bindings, fn };
}

/**
 * The run-time form: bias, residual and slope are always bound (a one-element placeholder when absent), and uniform
 * fields say which terms apply and which activation follows, with its alpha and beta. The branches are uniform
 * across the dispatch, so they cost next to nothing; the generic tier only bridges until the specialised one runs.
 */
function genericEpilogue(epilogue: Epilogue, bias: GpuBinding | undefined, residual: GpuBinding | undefined, shape: ShapeValues, st: Storage): EpilogueWgsl {
  const useResidual = epilogue.residual === true && residual !== undefined;
  const slope = epilogue.kind === 'prelu' ? epilogue.slope : undefined;
  const upsample = useResidual ? epilogue.residualUpsample : undefined;
  const flags = (bias ? FLAG_BIAS : 0) | (useResidual ? FLAG_RESIDUAL : 0) | (slope && slope.length > 1 ? FLAG_SLOPE_PER_CHANNEL : 0)
    | (upsample ? FLAG_RESIDUAL_UPSAMPLED : 0);
  const code = epilogue.kind === 'unary' ? GENERIC_ACTIVATIONS.indexOf(epilogue.unary.kind) + 1 : epilogue.kind === 'prelu' ? PRELU_CODE : 0;
  const params = epilogue.kind === 'unary' ? epilogue.unary : { alpha: 0, beta: 0 };
  const f = shape.u('epFlags', flags);
  const a = shape.bits('epAlpha', params.alpha);
  const b = shape.bits('epBeta', params.beta);
  const cases = GENERIC_ACTIVATIONS.map((kind, k) => `    case ${k + 1}u: { y = ${unaryExpression({ kind, alpha: 0, beta: 0 }, 'y', 'a', 'b')}; }`);
  const fn = `fn epilogue(v: f32, channel: u32, index: u32) -> f32 {
  var y = v;
  if ((${f} & ${FLAG_BIAS}u) != 0u) { y += ${st.load('bias[channel]')}; }
  if ((${f} & ${FLAG_RESIDUAL}u) != 0u) {
    var r = index;
    if ((${f} & ${FLAG_RESIDUAL_UPSAMPLED}u) != 0u) { r = ${upsampledIndex(upsample ?? NO_UPSAMPLE, shape)}; }
    y += ${st.load('residual[r]')};
  }
  let a = ${a};
  let b = ${b};
  switch (${shape.u('epAct', code)}) {
${cases.join('\n')}
    case ${PRELU_CODE}u: { y = select(y * ${st.load(`slope[select(0u, channel, (${f} & ${FLAG_SLOPE_PER_CHANNEL}u) != 0u)]`)}, y, y >= 0.0f); }
    default: {}
  }
  return y;
}`;
  return {
    bindings: [
      { binding: bias ?? { kind: 'data', data: ABSENT }, name: 'bias' },
      { binding: useResidual ? residual : { kind: 'data', data: ABSENT }, name: 'residual' },
      { binding: { kind: 'data', data: slope ?? ABSENT }, name: 'slope' },
    ],
    fn,
  };
}
