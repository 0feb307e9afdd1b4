// Convolutions and matrix products over tfjs's typed arrays, run by ATen (oneDNN for the convolutions).
//
// tfjs keeps activations NHWC and filters [kh, kw, Ci, Co]. ATen's NCHW tensors with channels-last strides are the
// same bytes as NHWC, so activations are wrapped without a copy (at::from_blob with channels-last strides) and
// oneDNN runs its channels-last kernels on them; filters are wrapped as strided views of [Co, Ci, kh, kw]. Results
// are copied into the output array that JavaScript allocated (a plain memcpy when ATen already produced
// channels-last; the filter gradient is one small transpose).
#include "tensors.h"

namespace nephron {

namespace {

struct ConvArgs {
  std::vector<int64_t> stride, padding, dilation;
};

// stride [sh, sw], padding [top, left] (symmetric: JavaScript only calls here then), dilation [dh, dw].
ConvArgs convArgs(const Napi::CallbackInfo& info, size_t first) {
  return {ints(info[first]), ints(info[first + 1]), ints(info[first + 2])};
}

// conv2d(x, xShape, w, wShape, out, outShape, stride, padding, dilation, bias | null, relu): the bias and the ReLU
// of tfjs's FusedConv2D run inside the same call.
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Shape4 xs = shape4(info[1]), ws = shape4(info[3]), os = shape4(info[5]);
    const ConvArgs a = convArgs(info, 6);
    at::Tensor x = nhwc(floats(info[0], xs), xs);
    at::Tensor w = hwio(floats(info[2], ws), ws).contiguous(at::MemoryFormat::ChannelsLast);
    c10::optional<at::Tensor> bias;
    if (!info[9].IsNull()) bias = at::from_blob(floats(info[9], ws[3]), {ws[3]}, at::kFloat);
    at::Tensor y = at::conv2d(x, w, bias, a.stride, a.padding, a.dilation, 1);
    if (info[10].As<Napi::Boolean>().Value()) y.relu_();
    nhwc(floats(info[4], os), os).copy_(y);
  });
}

// conv2dBackpropInput(dy, dyShape, w, wShape, dx, dxShape, stride, padding, dilation): the x gradient of conv2d
// (and the forward of conv2dTranspose, which tfjs runs as this kernel).
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Shape4 ds = shape4(info[1]), ws = shape4(info[3]), xs = shape4(info[5]);
    const ConvArgs a = convArgs(info, 6);
    at::Tensor dy = nhwc(floats(info[0], ds), ds);
    at::Tensor w = hwio(floats(info[2], ws), ws).contiguous(at::MemoryFormat::ChannelsLast);
    // Only the input's shape matters for this gradient: an uninitialised tensor of that shape stands in for it.
    at::Tensor xShape = at::empty({xs[0], xs[3], xs[1], xs[2]}, at::TensorOptions().dtype(at::kFloat).memory_format(at::MemoryFormat::ChannelsLast));
    auto grads = at::convolution_backward(dy, xShape, w, c10::nullopt, a.stride, a.padding, a.dilation, false, {0, 0}, 1, {true, false, false});
    nhwc(floats(info[4], xs), xs).copy_(std::get<0>(grads));
  });
}

// conv2dBackpropFilter(x, xShape, dy, dyShape, dw, wShape, stride, padding, dilation)
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Shape4 xs = shape4(info[1]), ds = shape4(info[3]), ws = shape4(info[5]);
    const ConvArgs a = convArgs(info, 6);
    at::Tensor x = nhwc(floats(info[0], xs), xs);
    at::Tensor dy = nhwc(floats(info[2], ds), ds);
    at::Tensor wShape = at::empty({ws[3], ws[2], ws[0], ws[1]}, at::TensorOptions().dtype(at::kFloat).memory_format(at::MemoryFormat::ChannelsLast));
    auto grads = at::convolution_backward(dy, x, wShape, c10::nullopt, a.stride, a.padding, a.dilation, false, {0, 0}, 1, {false, true, false});
    hwio(floats(info[4], ws), ws).copy_(std::get<1>(grads));
  });
}

// batchMatMul(a, [batchA, rowsA, colsA], b, [batchB, rowsB, colsB], out, transposeA, transposeB): out [batch, M, N],
// a batch of 1 broadcasts against the other.
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const std::vector<int64_t> as = ints(info[1]), bs = ints(info[3]);
    at::Tensor a = at::from_blob(floats(info[0], as[0] * as[1] * as[2]), as, at::kFloat);
    at::Tensor b = at::from_blob(floats(info[2], bs[0] * bs[1] * bs[2]), bs, at::kFloat);
    if (info[5].As<Napi::Boolean>().Value()) a = a.transpose(1, 2);
    if (info[6].As<Napi::Boolean>().Value()) b = b.transpose(1, 2);
    const int64_t batch = std::max(as[0], bs[0]);
    const int64_t m = a.size(1), n = b.size(2);
    at::Tensor out = at::from_blob(floats(info[4], batch * m * n), {batch, m, n}, at::kFloat);
    if (as[0] == bs[0]) {
      at::bmm_out(out, a, b);
    } else {
      out.copy_(at::matmul(a, b));
    }
  });
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2D));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2DBackpropInput));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2DBackpropFilter));
  exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMul));
}

}  // namespace nephron
