import { ChangeDetectionStrategy, Component } from '@angular/core';

/** A route that only its guard serves (it always redirects): nothing to show. */
@Component({ selector: 'app-blank-route', template: '', changeDetection: ChangeDetectionStrategy.OnPush })
export class BlankRoute {}
