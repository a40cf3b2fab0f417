'use strict';
// Cadence admin behaviour, loaded on every admin page (deferred, so django.jQuery is there when the page has it).
(function () {
    const $ = window.django && window.django.jQuery;
    if (!$) {
        return;
    }
    // Autocomplete forwarding: a request for the phase or micro-cycle picker carries the program (and phase)
    // already chosen on the same form, so the server narrows the suggestions to them.
    const FORWARDED = ['program', 'phase'];
    $.ajaxPrefilter(function (options) {
        if (!options.url || options.url.indexOf('/autocomplete/') === -1 || typeof options.data !== 'string') {
            return;
        }
        const params = new URLSearchParams(options.data);
        const field = params.get('field_name');
        FORWARDED.forEach(function (name) {
            if (name === field) {
                return;
            }
            const chosen = document.getElementById('id_' + name);
            if (chosen && chosen.value) {
                params.set('forward_' + name, chosen.value);
            }
        });
        options.data = params.toString();
    });
    // Autocomplete list filters: choosing a value reloads the list filtered by it (clearing drops the filter).
    $(function () {
        $('select.autocomplete-list-filter').on('change', function () {
            const url = new URL(window.location.href);
            const param = this.dataset.parameter;
            url.searchParams.delete('p');
            if (this.value) {
                url.searchParams.set(param, this.value);
            } else {
                url.searchParams.delete(param);
            }
            window.location.assign(url.toString());
        });
    });
})();
