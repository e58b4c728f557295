import type { Epilogue } from './epilogue.js';
import type { GpuBinding } from './kernel-api.gpu.js';
import { unaryExpression } from './wgsl-common.wgsl.js';

/**
 * WGSL for an op's fused tail, y = act(acc + bias + residual): extra bindings and a function
 * `epilogue(v, channel, index)` where `index` is the output element's linear index (for the residual).
 */
export interface EpilogueWgsl {
  /** Bindings to append after the op's own, with their WGSL names. */
  readonly bindings: readonly { readonly binding: GpuBinding; readonly name: string }[];
  readonly fn: string;
}

export function epilogueWgsl(epilogue: Epilogue, bias: GpuBinding | undefined, residual: GpuBinding | undefined): EpilogueWgsl {
  const bindings: { binding: GpuBinding; name: string }[] = [];
  let body = '  var y = v;\n';
  if (bias) {
    bindings.push({ binding: bias, name: 'bias' });
    body += '  y += bias[channel];\n';
  }
  if (epilogue.residual && residual) {
    bindings.push({ binding: residual, name: 'residual' });
    body += '  y += residual[index];\n';
  }
  if (epilogue.kind === 'unary') {
    body += `  y = ${unaryExpression(epilogue.unary, 'y')};\n`;
  } else if (epilogue.kind === 'prelu') {
    bindings.push({ binding: { kind: 'data', data: epilogue.slope }, name: 'slope' });
    const s = epilogue.slope.length === 1 ? 'slope[0]' : 'slope[channel]';
    body += `  y = select(y * ${s}, y, y >= 0.0f);\n`;
  }
  const fn = `fn epilogue(v: f32, channel: u32, index: u32) -> f32 {\n${body}  return y;\n}`;
  return { bindings, fn };
}
