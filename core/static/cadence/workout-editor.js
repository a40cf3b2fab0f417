'use strict';
// The live summary of a session's workout in the admin: time, distance, sets and volume, recomputed while the
// coach edits. django-jsonform keeps the editor's data as JSON in a hidden textarea (it fires no event when it
// writes it), so the summary reads that textarea after every input, change or click in the editor, and on a
// short timer for what none of those catch. The figures are the API's structureSummary; a %1RM set's load
// depends on the athlete's estimated 1RM, so it is counted apart ("3 sets at %1RM").
(function () {
    function number(value) {
        return typeof value === 'number' && isFinite(value) ? value : 0;
    }

    function durationOf(step) {
        const duration = (step && step.duration) || {};
        return { seconds: number(duration.seconds), meters: number(duration.meters) };
    }

    function summarize(data) {
        const total = { seconds: 0, meters: 0, sets: 0, volume: 0, atPercent: 0, steps: 0 };
        const steps = data && Array.isArray(data.steps) ? data.steps : [];
        steps.forEach(function (step) {
            if (!step || typeof step !== 'object') {
                return;
            }
            total.steps += 1;
            if (step.kind === 'exercise') {
                (Array.isArray(step.sets) ? step.sets : []).forEach(function (one) {
                    if (!one || typeof one !== 'object') {
                        return;
                    }
                    total.sets += 1;
                    total.seconds += number(one.seconds) + number(one.restSeconds);
                    const reps = typeof one.reps === 'number' ? one.reps : null;
                    if (typeof one.loadKg === 'number') {
                        if (reps !== null) {
                            total.volume += reps * one.loadKg;
                        }
                    } else if (typeof one.percent1rm === 'number') {
                        total.atPercent += 1;
                    }
                });
            } else if (step.kind === 'repeat') {
                const times = number(step.times);
                (Array.isArray(step.steps) ? step.steps : []).forEach(function (inner) {
                    const duration = durationOf(inner);
                    total.seconds += times * duration.seconds;
                    total.meters += times * duration.meters;
                });
            } else {
                const duration = durationOf(step);
                total.seconds += duration.seconds;
                total.meters += duration.meters;
            }
        });
        return total;
    }

    function clock(seconds) {
        const whole = Math.round(seconds);
        const hours = Math.floor(whole / 3600);
        const minutes = Math.floor((whole % 3600) / 60);
        const rest = whole % 60;
        return hours + ':' + String(minutes).padStart(2, '0') + ':' + String(rest).padStart(2, '0');
    }

    function text(total) {
        if (!total.steps) {
            return 'No structure: the session is unstructured.';
        }
        let volume = String(Math.round(total.volume * 10) / 10) + ' kg';
        if (total.atPercent) {
            volume += ' + ' + total.atPercent + ' set' + (total.atPercent === 1 ? '' : 's') + ' at %1RM';
        }
        return 'Time ' + clock(total.seconds) + ' · Distance ' + (total.meters / 1000).toFixed(2) + ' km · Sets '
            + total.sets + ' · Volume ' + volume;
    }

    function attach(output) {
        const input = document.getElementById(output.dataset.workoutSummary);
        if (!input) {
            return;
        }
        let last = null;
        function refresh() {
            if (input.value === last) {
                return;
            }
            last = input.value;
            let data;
            try {
                data = JSON.parse(input.value);
            } catch (error) {
                return;  // not JSON yet: keep the last summary
            }
            output.textContent = text(summarize(data));
        }
        // The editor writes the textarea after React re-renders: read it on the next frame.
        function soon() {
            window.requestAnimationFrame(refresh);
        }
        const editor = input.previousElementSibling || input.parentElement;
        ['input', 'change', 'click'].forEach(function (type) {
            editor.addEventListener(type, soon);
        });
        window.setInterval(refresh, 500);
        refresh();
    }

    function init() {
        document.querySelectorAll('[data-workout-summary]').forEach(attach);
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', init);
    } else {
        init();
    }
})();
