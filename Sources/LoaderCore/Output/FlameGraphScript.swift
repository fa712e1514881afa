extension FlameGraph {
    /// The SVG's script: zoom, search and details, in the manner of flamegraph.pl's (written
    /// for this file's layout: frames are `g.f` with data-name and data-count, a rect and a text).
    static let script = #"""
    "use strict";
    var frames = [], details, matched, unzoom, total, unit, width, pad = 10, defaultDetails, searching = null;
    function fg_init() {
        var svg = document.documentElement;
        width = +svg.getAttribute("data-width");
        total = +svg.getAttribute("data-total");
        unit = svg.getAttribute("data-unit");
        details = document.getElementById("details");
        matched = document.getElementById("matched");
        unzoom = document.getElementById("unzoom");
        defaultDetails = details.textContent;
        frames = Array.prototype.slice.call(document.querySelectorAll("g.f"));
        frames.forEach(function (g, i) {
            var r = g.querySelector("rect");
            g.fg = { i: i, x: +r.getAttribute("x"), w: +r.getAttribute("width"), y: +r.getAttribute("y"),
                     name: g.getAttribute("data-name"), count: +g.getAttribute("data-count"), fill: r.getAttribute("fill") };
            g.addEventListener("click", function () { zoom(g); });
            g.addEventListener("mouseover", function () {
                details.textContent = g.fg.name + " (" + g.fg.count + " " + unit + ", " + percent(g.fg.count) + "%)";
            });
            g.addEventListener("mouseout", function () { details.textContent = defaultDetails; });
        });
        unzoom.addEventListener("click", reset);
        document.getElementById("search").addEventListener("click", ask);
        document.addEventListener("keydown", function (e) {
            if (e.key === "Escape") { reset(); clearSearch(); }
            else if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); ask(); }
        });
        var params = new URLSearchParams(document.location.search);
        if (params.get("z") !== null && frames[+params.get("z")]) zoom(frames[+params.get("z")]);
        if (params.get("s")) search(params.get("s"));
    }
    function percent(count) { return total > 0 ? (100 * count / total).toFixed(2) : "0"; }
    function label(g, w) {
        var fits = Math.floor(Math.max(w - 6, 0) / 7), name = g.fg.name;
        g.querySelector("text").textContent = fits < 3 ? "" : name.length <= fits ? name : name.slice(0, fits - 2) + "..";
    }
    function place(g, x, w) {
        var r = g.querySelector("rect"), t = g.querySelector("text");
        r.setAttribute("x", x.toFixed(2));
        r.setAttribute("width", w.toFixed(2));
        t.setAttribute("x", (x + 3).toFixed(2));
        label(g, w);
    }
    // Zoom to frame `z`: it spans the width, its callees scale with it, its callers stay below
    // (full width, dimmed), every other frame is hidden.
    function zoom(z) {
        var zx = z.fg.x, zw = z.fg.w, scale = (width - 2 * pad) / zw, eps = 0.02;  // the positions are rounded to 0.01
        frames.forEach(function (g) {
            var f = g.fg;
            g.classList.remove("hidden", "parent");
            if (f.y > z.fg.y) {
                if (f.x <= zx + eps && f.x + f.w >= zx + zw - eps) { g.classList.add("parent"); place(g, pad, width - 2 * pad); }
                else g.classList.add("hidden");
            } else if (f.x >= zx - eps && f.x + f.w <= zx + zw + eps) {
                place(g, pad + (f.x - zx) * scale, f.w * scale);
            } else {
                g.classList.add("hidden");
            }
        });
        unzoom.classList.remove("off");
    }
    function reset() {
        frames.forEach(function (g) { g.classList.remove("hidden", "parent"); place(g, g.fg.x, g.fg.w); });
        unzoom.classList.add("off");
    }
    function ask() {
        var term = prompt("Search for frames (a regular expression):", searching || "");
        if (term === null) return;
        if (term === "") clearSearch(); else search(term);
    }
    function clearSearch() {
        frames.forEach(function (g) { g.classList.remove("match"); g.querySelector("rect").setAttribute("fill", g.fg.fill); });
        matched.textContent = " ";
        searching = null;
    }
    // Highlight the frames whose names match `term`; the share of samples they cover counts
    // nested matches once (their ranges merged).
    function search(term) {
        var re;
        try { re = new RegExp(term); } catch (e) { matched.textContent = "Invalid regular expression"; return; }
        clearSearch();
        searching = term;
        var ranges = [];
        frames.forEach(function (g) {
            if (g.fg.i === 0 || !re.test(g.fg.name)) return;
            g.classList.add("match");
            g.querySelector("rect").setAttribute("fill", "rgb(230,0,230)");
            ranges.push([g.fg.x, g.fg.x + g.fg.w]);
        });
        ranges.sort(function (a, b) { return a[0] - b[0]; });
        var covered = 0, end = -1;
        ranges.forEach(function (r) {
            if (r[0] >= end) { covered += r[1] - r[0]; end = r[1]; }
            else if (r[1] > end) { covered += r[1] - end; end = r[1]; }
        });
        var share = width > 2 * pad ? 100 * covered / (width - 2 * pad) : 0;
        matched.textContent = "Matched: " + share.toFixed(1) + "%";
        document.documentElement.setAttribute("data-matches", String(ranges.length));
    }
    """#
}
