// Element-wise ops, reductions, softmax and data movement (transpose, slice, split) by ATen over tfjs's float32
// arrays. tfjs's cpu backend runs these in JavaScript with general index arithmetic on every broadcast, strided
// slice or transpose, which made them most of a training step (Adam's scalar-broadcast updates, the channel splits
// of the concatenations' gradients); ATen's loops are vectorised and use the intra-op threads.
#include "tensors.h"

namespace nephron {

namespace {

at::Tensor wrap(const Napi::Value& data, const Napi::Value& shape) {
  const std::vector<int64_t> s = ints(shape);
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return at::from_blob(floats(data, n), s, at::kFloat);
}

// The order of these codes is mirrored by BINARY_OPS / UNARY_OPS / REDUCE_OPS in src/ml/native/elementwise.ts.
enum Binary { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kSquaredDifference };
enum Unary { kSqrt, kSquare, kExp, kLog, kNeg, kAbs, kRelu, kRsqrt, kSigmoid, kReciprocal };
enum Reduce { kSum, kMax, kMin, kMean };

// binary(op, a, aShape, b, bShape, out, outShape): numpy broadcasting, as tfjs's.
Napi::Value BinaryOp(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const int op = info[0].As<Napi::Number>().Int32Value();
    at::Tensor a = wrap(info[1], info[2]), b = wrap(info[3], info[4]), out = wrap(info[5], info[6]);
    switch (op) {
      case kAdd: at::add_out(out, a, b); break;
      case kSub: at::sub_out(out, a, b); break;
      case kMul: at::mul_out(out, a, b); break;
      case kDiv: at::div_out(out, a, b); break;
      case kMaximum: at::maximum_out(out, a, b); break;
      case kMinimum: at::minimum_out(out, a, b); break;
      case kSquaredDifference: out.copy_((a - b).square_()); break;
      default: throw std::invalid_argument("unknown binary op");
    }
  });
}

// unary(op, x, out): same length.
Napi::Value UnaryOp(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const int op = info[0].As<Napi::Number>().Int32Value();
    Napi::Float32Array xa = info[1].As<Napi::Float32Array>();
    const int64_t n = xa.ElementLength();
    at::Tensor x = at::from_blob(floats(info[1], n), {n}, at::kFloat);
    at::Tensor out = at::from_blob(floats(info[2], n), {n}, at::kFloat);
    switch (op) {
      case kSqrt: at::sqrt_out(out, x); break;
      case kSquare: at::mul_out(out, x, x); break;
      case kExp: at::exp_out(out, x); break;
      case kLog: at::log_out(out, x); break;
      case kNeg: at::neg_out(out, x); break;
      case kAbs: at::abs_out(out, x); break;
      case kRelu: at::clamp_min_out(out, x, 0); break;
      case kRsqrt: at::rsqrt_out(out, x); break;
      case kSigmoid: at::sigmoid_out(out, x); break;
      case kReciprocal: at::reciprocal_out(out, x); break;
      default: throw std::invalid_argument("unknown unary op");
    }
  });
}

// reduce(op, x, shape, axes, out): out holds the result with the reduced axes kept as size 1 (same memory as without).
Napi::Value ReduceOp(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const int op = info[0].As<Napi::Number>().Int32Value();
    at::Tensor x = wrap(info[1], info[2]);
    const std::vector<int64_t> axes = ints(info[3]);
    std::vector<int64_t> kept = x.sizes().vec();
    for (int64_t a : axes) kept[a] = 1;
    int64_t n = 1;
    for (int64_t d : kept) n *= d;
    at::Tensor out = at::from_blob(floats(info[4], n), kept, at::kFloat);
    switch (op) {
      case kSum: at::sum_out(out, x, axes, true); break;
      case kMax: at::amax_out(out, x, axes, true); break;
      case kMin: at::amin_out(out, x, axes, true); break;
      case kMean: at::mean_out(out, x, axes, true); break;
      default: throw std::invalid_argument("unknown reduction");
    }
  });
}

// softmax(x, shape, out): along the last axis.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    at::Tensor x = wrap(info[0], info[1]);
    at::Tensor out = wrap(info[2], info[1]);
    at::_softmax_out(out, x, -1, false);
  });
}

// transpose(x, shape, perm, out)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    at::Tensor x = wrap(info[0], info[1]).permute(ints(info[2]));
    at::Tensor out = at::from_blob(floats(info[3], x.numel()), x.sizes(), at::kFloat);
    out.copy_(x);
  });
}

// slice(x, shape, begin, size, out)
Napi::Value Slice(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    at::Tensor x = wrap(info[0], info[1]);
    const std::vector<int64_t> begin = ints(info[2]), size = ints(info[3]);
    for (size_t d = 0; d < begin.size(); d++) x = x.narrow(static_cast<int64_t>(d), begin[d], size[d]);
    at::Tensor out = at::from_blob(floats(info[4], x.numel()), x.sizes(), at::kFloat);
    out.copy_(x);
  });
}

// split(x, shape, axis, sizes, outs[]): consecutive pieces along one axis.
Napi::Value Split(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    at::Tensor x = wrap(info[0], info[1]);
    const int64_t axis = info[2].As<Napi::Number>().Int64Value();
    const std::vector<int64_t> sizes = ints(info[3]);
    Napi::Array outs = info[4].As<Napi::Array>();
    int64_t offset = 0;
    for (size_t i = 0; i < sizes.size(); i++) {
      at::Tensor piece = x.narrow(axis, offset, sizes[i]);
      at::Tensor out = at::from_blob(floats(outs.Get(static_cast<uint32_t>(i)), piece.numel()), piece.sizes(), at::kFloat);
      out.copy_(piece);
      offset += sizes[i];
    }
  });
}

// concat(xs[], shapes[], axis, out, outShape)
Napi::Value Concat(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    Napi::Array xs = info[0].As<Napi::Array>(), shapes = info[1].As<Napi::Array>();
    const int64_t axis = info[2].As<Napi::Number>().Int64Value();
    std::vector<at::Tensor> parts;
    for (uint32_t i = 0; i < xs.Length(); i++) parts.push_back(wrap(xs.Get(i), shapes.Get(i)));
    at::Tensor out = wrap(info[3], info[4]);
    at::cat_out(out, parts, axis);
  });
}

}  // namespace

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, BinaryOp));
  exports.Set("unary", Napi::Function::New(env, UnaryOp));
  exports.Set("reduce", Napi::Function::New(env, ReduceOp));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("slice", Napi::Function::New(env, Slice));
  exports.Set("split", Napi::Function::New(env, Split));
  exports.Set("concat", Napi::Function::New(env, Concat));
}

}  // namespace nephron
