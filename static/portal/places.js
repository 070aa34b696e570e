/* 发生地点：边输入边给出匹配的小区楼栋（没有脚本时，“查找”按钮在服务器上查，结果一样）。 */
(function () {
  "use strict";
  var box = document.getElementById("id_place_q");
  var found = document.getElementById("place-found");
  var status = document.getElementById("place-status");
  var unit = document.getElementById("id_unit");
  if (!box || !found || !status || !box.dataset.suggest || !window.fetch) return;
  var timer = null, last = null, serial = 0;

  function setUnits(count, selected) {
    if (!unit) return;
    var keep = selected || unit.value;
    while (unit.options.length > 1) unit.remove(1);
    for (var n = 1; n <= count; n++) {
      var option = new Option(n + "单元", String(n));
      if (String(n) === String(keep)) option.selected = true;
      unit.add(option);
    }
  }

  function option(place, index, checked) {
    var label = document.createElement("label");
    label.className = "choice place-option";
    label.htmlFor = "place-b-" + index;
    var input = document.createElement("input");
    input.type = "radio"; input.name = "place"; input.id = label.htmlFor;
    input.value = place.value; input.dataset.units = place.units; input.checked = checked;
    var text = document.createElement("span");
    var strong = document.createElement("strong");
    strong.textContent = place.label;
    var small = document.createElement("small");
    small.textContent = place.detail;
    text.appendChild(strong); text.appendChild(document.createElement("br")); text.appendChild(small);
    label.appendChild(input); label.appendChild(document.createTextNode(" ")); label.appendChild(text);
    return label;
  }

  function show(data) {
    var checked = document.querySelector("input[name=place]:checked");
    var keep = checked ? checked.value : "";
    found.textContent = "";
    var only = data.places.length === 1;
    data.places.forEach(function (place, i) {
      found.appendChild(option(place, i + 1, only || place.value === keep));
    });
    status.textContent = data.message;
    if (data.places.length) setUnits(Math.max.apply(null, data.places.map(function (p) { return p.units || 0; })), data.places[0].unit);
  }

  function search() {
    var q = box.value.trim();
    if (q === last) return;
    last = q;
    if (q.length < 2) { status.textContent = q ? "请至少写两个字，例如“园林 3栋”。" : ""; return; }
    var mine = ++serial;
    fetch(box.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === serial) show(data); })
      .catch(function () { /* 没有网络时仍可点“查找” */ });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); last = null; search(); }
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "place" && input.checked && input.dataset.units !== undefined) {
      setUnits(parseInt(input.dataset.units, 10) || 0);
    }
  });
})();
