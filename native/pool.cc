// Max pooling over NHWC arrays (ATen's channels-last kernel) and its gradient. The gradient recomputes the argmax
// positions from x (cheaper than keeping them between kernels); ties go to the first position in scan order, as on
// tfjs's cpu backend.
#include "tensors.h"

namespace nephron {

namespace {

// maxPool(x, xShape, out, outShape, [kh, kw], [sh, sw], [pt, pl])
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Shape4 xs = shape4(info[1]), os = shape4(info[3]);
    at::Tensor y = at::max_pool2d(nhwc(floats(info[0], xs), xs), ints(info[4]), ints(info[5]), ints(info[6]));
    nhwc(floats(info[2], os), os).copy_(y);
  });
}

// maxPoolGrad(dy, dyShape, x, xShape, dx, [kh, kw], [sh, sw], [pt, pl])
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const Shape4 ds = shape4(info[1]), xs = shape4(info[3]);
    const std::vector<int64_t> k = ints(info[5]), s = ints(info[6]), p = ints(info[7]);
    at::Tensor x = nhwc(floats(info[2], xs), xs);
    at::Tensor indices = std::get<1>(at::max_pool2d_with_indices(x, k, s, p));
    at::Tensor dx = at::max_pool2d_with_indices_backward(nhwc(floats(info[0], ds), ds), x, k, s, p, {1, 1}, false, indices);
    nhwc(floats(info[4], xs), xs).copy_(dx);
  });
}

}  // namespace

void registerPool(Napi::Env env, Napi::Object exports) {
  exports.Set("maxPool", Napi::Function::New(env, MaxPool));
  exports.Set("maxPoolGrad", Napi::Function::New(env, MaxPoolGrad));
}

}  // namespace nephron
