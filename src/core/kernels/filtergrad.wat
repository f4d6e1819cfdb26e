;; One tap of the filter gradient of a stride-1, undilated conv2d (NHWC), in one pass over the
;; tfjs wasm heap, four float32 lanes at a time. Compiled by `npm run build:wasm` into
;; filterGradWasm.ts; see conv2dBackpropFilter.ts ('simd' path).
;;
;; For the tap at row offset dr = kh - top and column offset dc = kw - left:
;;
;;   acc[c, o] += sum over n, i, j of x[n, i + dr, j + dc, c] * dy[n, i, j, o]
;;
;; over the output positions whose input pixel lies inside x (the rest read the zero padding).
;; acc is [Ci, Co], row-major. A product of a tall [positions, Ci]^T by [positions, Co] with a
;; small result: the stock path transposes x first (a slow kernel) and packs dy for XNNPACK on
;; every call. Here each output row's run of positions is streamed once per 4 x 8 tile of acc
;; (1 x 8 for the last Ci mod 4 rows), whose vectors stay in locals (registers) along the run;
;; both runs are a few KB (L1). Needs Co a multiple of 8 (the caller checks). Pointers are byte
;; offsets.
(module
  (import "env" "memory" (memory 1))
  (func (export "tap")
    (param $x i32) (param $dy i32) (param $acc i32)
    (param $n i32) (param $h i32) (param $w i32) (param $ci i32)
    (param $ho i32) (param $wo i32) (param $co i32) (param $dr i32) (param $dc i32)
    (local $j0 i32) (local $j1 i32) (local $len i32)
    (local $b i32) (local $i i32) (local $r i32)
    (local $xRow i32) (local $dyRow i32) (local $ciBytes i32) (local $coBytes i32)
    (local $c i32) (local $o i32) (local $at i32) (local $px i32) (local $pd i32) (local $t i32)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    ;; Output columns whose input column j + dc lies in 0 .. w - 1.
    (local.set $j0 (select (i32.const 0) (i32.sub (i32.const 0) (local.get $dc)) (i32.ge_s (local.get $dc) (i32.const 0))))
    (local.set $j1 (select (local.get $wo) (i32.sub (local.get $w) (local.get $dc)) (i32.le_s (local.get $wo) (i32.sub (local.get $w) (local.get $dc)))))
    (local.set $len (i32.sub (local.get $j1) (local.get $j0)))
    (if (i32.le_s (local.get $len) (i32.const 0)) (then (return)))
    (local.set $ciBytes (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $coBytes (i32.shl (local.get $co) (i32.const 2)))
    (local.set $b (i32.const 0))
    (loop $images
      (local.set $i (i32.const 0))
      (loop $rows
        (local.set $r (i32.add (local.get $i) (local.get $dr)))
        ;; 0 <= r < h, as one unsigned comparison.
        (if (i32.lt_u (local.get $r) (local.get $h))
          (then
            (local.set $xRow (i32.add (local.get $x)
              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $r)) (local.get $w))
                                (i32.add (local.get $j0) (local.get $dc)))
                       (local.get $ciBytes))))
            (local.set $dyRow (i32.add (local.get $dy)
              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ho)) (local.get $i)) (local.get $wo))
                                (local.get $j0))
                       (local.get $coBytes))))
            ;; Rows of acc four at a time while four are left, then one at a time.
            (local.set $c (i32.const 0))
            (block $quadsDone
              (loop $quads
                (br_if $quadsDone (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $ci)))
                (local.set $o (i32.const 0))
                (loop $outChannels
                  ;; The 4 x 8 tile of acc at rows c .. c + 3, columns o .. o + 7.
                  (local.set $at (i32.add (local.get $acc) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $co)) (local.get $o)) (i32.const 2))))
                  (local.set $a00 (v128.load (local.get $at)))
                  (local.set $a01 (v128.load offset=16 (local.get $at)))
                  (local.set $a10 (v128.load (i32.add (local.get $at) (local.get $coBytes))))
                  (local.set $a11 (v128.load offset=16 (i32.add (local.get $at) (local.get $coBytes))))
                  (local.set $a20 (v128.load (i32.add (local.get $at) (i32.shl (local.get $coBytes) (i32.const 1)))))
                  (local.set $a21 (v128.load offset=16 (i32.add (local.get $at) (i32.shl (local.get $coBytes) (i32.const 1)))))
                  (local.set $a30 (v128.load (i32.add (local.get $at) (i32.mul (local.get $coBytes) (i32.const 3)))))
                  (local.set $a31 (v128.load offset=16 (i32.add (local.get $at) (i32.mul (local.get $coBytes) (i32.const 3)))))
                  (local.set $px (i32.add (local.get $xRow) (i32.shl (local.get $c) (i32.const 2))))
                  (local.set $pd (i32.add (local.get $dyRow) (i32.shl (local.get $o) (i32.const 2))))
                  (local.set $t (local.get $len))
                  (loop $positions
                    (local.set $d0 (v128.load (local.get $pd)))
                    (local.set $d1 (v128.load offset=16 (local.get $pd)))
                    (local.set $s (f32x4.splat (f32.load (local.get $px))))
                    (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (f32x4.splat (f32.load offset=4 (local.get $px))))
                    (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (f32x4.splat (f32.load offset=8 (local.get $px))))
                    (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $s (f32x4.splat (f32.load offset=12 (local.get $px))))
                    (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $s) (local.get $d0))))
                    (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $s) (local.get $d1))))
                    (local.set $px (i32.add (local.get $px) (local.get $ciBytes)))
                    (local.set $pd (i32.add (local.get $pd) (local.get $coBytes)))
                    (local.set $t (i32.sub (local.get $t) (i32.const 1)))
                    (br_if $positions (local.get $t)))
                  (v128.store (local.get $at) (local.get $a00))
                  (v128.store offset=16 (local.get $at) (local.get $a01))
                  (v128.store (i32.add (local.get $at) (local.get $coBytes)) (local.get $a10))
                  (v128.store offset=16 (i32.add (local.get $at) (local.get $coBytes)) (local.get $a11))
                  (v128.store (i32.add (local.get $at) (i32.shl (local.get $coBytes) (i32.const 1))) (local.get $a20))
                  (v128.store offset=16 (i32.add (local.get $at) (i32.shl (local.get $coBytes) (i32.const 1))) (local.get $a21))
                  (v128.store (i32.add (local.get $at) (i32.mul (local.get $coBytes) (i32.const 3))) (local.get $a30))
                  (v128.store offset=16 (i32.add (local.get $at) (i32.mul (local.get $coBytes) (i32.const 3))) (local.get $a31))
                  (local.set $o (i32.add (local.get $o) (i32.const 8)))
                  (br_if $outChannels (i32.lt_u (local.get $o) (local.get $co))))
                (local.set $c (i32.add (local.get $c) (i32.const 4)))
                (br $quads)))
            (block $singlesDone
              (loop $singles
                (br_if $singlesDone (i32.ge_u (local.get $c) (local.get $ci)))
                (local.set $o (i32.const 0))
                (loop $outChannels1
                  ;; The 1 x 8 tile of acc at row c, columns o .. o + 7.
                  (local.set $at (i32.add (local.get $acc) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $co)) (local.get $o)) (i32.const 2))))
                  (local.set $a00 (v128.load (local.get $at)))
                  (local.set $a01 (v128.load offset=16 (local.get $at)))
                  (local.set $px (i32.add (local.get $xRow) (i32.shl (local.get $c) (i32.const 2))))
                  (local.set $pd (i32.add (local.get $dyRow) (i32.shl (local.get $o) (i32.const 2))))
                  (local.set $t (local.get $len))
                  (loop $positions1
                    (local.set $s (f32x4.splat (f32.load (local.get $px))))
                    (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $s) (v128.load (local.get $pd)))))
                    (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $pd)))))
                    (local.set $px (i32.add (local.get $px) (local.get $ciBytes)))
                    (local.set $pd (i32.add (local.get $pd) (local.get $coBytes)))
                    (local.set $t (i32.sub (local.get $t) (i32.const 1)))
                    (br_if $positions1 (local.get $t)))
                  (v128.store (local.get $at) (local.get $a00))
                  (v128.store offset=16 (local.get $at) (local.get $a01))
                  (local.set $o (i32.add (local.get $o) (i32.const 8)))
                  (br_if $outChannels1 (i32.lt_u (local.get $o) (local.get $co))))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br $singles)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $i) (local.get $ho))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $n)))))
)
