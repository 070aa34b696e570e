/* 渐进增强：没有脚本时每个功能照常可用。 */
(function () {
  "use strict";
  // 出错时把焦点移到页首的错误摘要，读屏软件会先读出要改哪几处（GOV.UK 做法）。
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }
  // 防止重复点击提交：提交后把按钮改为“正在提交…”。
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    var button = form.querySelector("button[type=submit],button:not([type])");
    if (button) { button.setAttribute("aria-disabled", "true"); button.textContent = "正在提交…"; }
  });
  // 照片在选择时就检查大小和类型，免得白等上传。
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.dataset.maxBytes, 10), bad = "";
      Array.prototype.forEach.call(input.files, function (file) {
        if (file.type && !/^image\/(jpeg|png|webp|heic|heif)$/.test(file.type)) bad = "“" + file.name + "”不是图片（只收 JPG、PNG、WEBP、HEIC）。";
        else if (file.size > max) bad = "“" + file.name + "”太大，每张不超过 " + Math.round(max / 1048576) + " MB。";
      });
      input.setCustomValidity(bad);
      var note = document.getElementById(input.id + "-check");
      if (note) note.textContent = bad;
    });
  });
})();
